"""``co2mix feed produce``: the simulated plant, replayed onto the stream as it happens.

The same simulator and scenarios as the generate stage (so the truth is known), on a
random stream of its own (:func:`co2mix.simulate.dataset.feed_batches`): a batch record
at each batch's production time, its lab result ``age_days`` later, merged in time order
and sent at ``rate`` times real time (0: as fast as the broker takes them). The batches
follow the current period's start and pace (``generate.current``): ``--batches 5000`` is
about that year.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import redis

from co2mix.feed.broker import MAXLEN
from co2mix.feed.messages import SCHEMA_VERSION, encode
from co2mix.physics.truth import STRENGTH
from co2mix.plant_params.root import PlantParams
from co2mix.plant_params.sections import Scenario
from co2mix.serving.feed_store import STREAM
from co2mix.simulate.dataset import feed_batches

PIPELINE = 500  # entries sent to the broker in one round trip, at most


@dataclass(frozen=True)
class Event:
    at: dt.datetime  # when it happens in the plant (simulated time)
    record: dict[str, Any]


def plant_batches(
    params: PlantParams, scenario: Scenario, magnitude: float, batches: int
) -> pd.DataFrame:
    """The producer's batches (:func:`co2mix.simulate.dataset.feed_batches`)."""
    return feed_batches(params.generate, params.data, scenario, magnitude, batches)


def plant_events(frame: pd.DataFrame, params: PlantParams) -> list[Event]:
    """Each batch's record at its production and its lab result when it comes back, in
    time order (a batch before a lab result at the same instant)."""
    id_column, time_column = params.data.id_column, params.data.time_column
    fields = [c for c in frame.columns if c not in (id_column, time_column, STRENGTH)]
    events: list[tuple[dt.datetime, int, Event]] = []
    for row in frame.to_dict("records"):
        produced = pd.Timestamp(row[time_column]).to_pydatetime()
        batch_id = int(row[id_column])
        head = {"version": SCHEMA_VERSION, "batch_id": batch_id}
        batch = {**head, "kind": "batch", "produced_at": produced.isoformat()}
        batch.update({f: _json_cell(row[f]) for f in fields})
        measured = produced + dt.timedelta(days=int(row["age_days"]))
        lab = {
            **head,
            "kind": "lab",
            "measured_at": measured.isoformat(),
            "strength_mpa": float(row[STRENGTH]),
        }
        events.append((produced, 0, Event(produced, batch)))
        events.append((measured, 1, Event(measured, lab)))
    events.sort(key=lambda e: (e[0], e[1], e[2].record["batch_id"]))
    return [e[2] for e in events]


def _json_cell(value: Any) -> Any:
    """A frame cell as JSON carries it (numpy scalars to Python, categories to str)."""
    if hasattr(value, "item"):
        return value.item()
    return value if isinstance(value, int | float) else str(value)


def replay(
    client: redis.Redis,
    events: Iterable[Event],
    rate: float,
    maxlen: int = MAXLEN,
    stream: str = STREAM,
) -> int:
    """Send ``events`` at ``rate`` times real time (0: at once), pipelined; how many."""
    pipe = client.pipeline(transaction=False)
    queued = sent = 0
    start_wall, start_sim = time.monotonic(), None
    for event in events:
        start_sim = start_sim or event.at
        if rate > 0:
            wait = start_wall + (event.at - start_sim).total_seconds() / rate - time.monotonic()
            if wait > 0:
                sent += _flush(pipe, queued)
                queued = 0
                time.sleep(wait)
        fields: Any = encode(event.record)
        pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)
        queued += 1
        if queued >= PIPELINE:
            sent += _flush(pipe, queued)
            queued = 0
    return sent + _flush(pipe, queued)


def _flush(pipe: Any, queued: int) -> int:
    if queued:
        pipe.execute()
    return queued
