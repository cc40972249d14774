"""``co2mix feed consume``: read the stream in a consumer group, score each batch with the
published champions, write it to the sink and the database, then acknowledge.

Each chunk of entries goes: parse (a bad record to the dead-letter stream, with the
reason) -> score the batches -> sink -> ``batches`` table -> lab results with their
standardized residual -> monitors -> sink -> ``lab_results`` and ``alarms`` -> ``XACK``.
Every write skips what is stored already, so a consumer killed anywhere in that sequence
and started again (its own pending entries first, then those another consumer left idle
for ``min_idle_ms``, claimed with ``XAUTOCLAIM``) leaves each batch exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine

from co2mix.feed.broker import MAXLEN, ensure_group
from co2mix.feed.messages import FIELD, BatchRecord, DeadLetter, LabResult, parse_entry
from co2mix.feed.monitors import Alarm, Cusum, RollingDrift
from co2mix.feed.scoring import Scorer
from co2mix.feed.sink import Sink
from co2mix.physics.truth import CO2, STRENGTH
from co2mix.plant_params.root import PlantParams
from co2mix.serving.feed_store import DEAD, GROUP, STREAM, FeedStore, predictions

Entry = tuple[bytes, dict[bytes, bytes]]


@dataclass(frozen=True)
class ConsumerSettings:
    name: str = "consumer-1"
    count: int = 1000  # entries read per round trip (a chunk)
    block_ms: int = 500  # how long a read waits for new entries
    min_idle_ms: int = 30_000  # another consumer's pending entry is claimed after this
    window: int = 500  # batches in the drift monitor's window...
    every: int = 100  # ...evaluated every this many batches
    drift_false_alarm_rate: float = 0.001  # per evaluation, shared by the features
    # the smallest KS worth an alarm on the stream: this year's weather against the same
    # weeks of the reference years passes 0.2 with no drift at all (weeks-long weather
    # anomalies; measured under scenario none), so the check's 0.08 would page every month
    drift_min_ks: float = 0.25
    cusum_k: float = 0.5
    cusum_h: float = 10.0  # measured: bench/bench_feed.py (docs/live-feed.md)
    contributions: bool = False


class Monitors:
    """The drift monitor on arriving batches, the CUSUM on arriving lab results."""

    def __init__(self, params: PlantParams, reference: Any, settings: ConsumerSettings):
        check = params.check
        categorical = [c for c in check.features if c in params.data.categorical]
        self.time_column = params.data.time_column or "produced_at"  # the plant always has one
        self.drift = RollingDrift(
            reference,
            self.time_column,
            [c for c in check.features if c not in categorical],
            categorical,
            max(check.thresholds.feature_drift, settings.drift_min_ks),
            check.thresholds.categorical_drift,
            settings.window,
            settings.every,
            settings.drift_false_alarm_rate,
        )
        self.columns = list(check.features)
        self.cusum = Cusum(settings.cusum_k, settings.cusum_h)

    def on_batch(self, record: BatchRecord) -> list[Alarm]:
        row = {c: getattr(record, c) for c in self.columns}
        return self.drift.update(row | {self.time_column: record.produced_at})

    def on_lab(self, z: float) -> list[Alarm]:
        alarm = self.cusum.update(z)
        return [alarm] if alarm else []


class Consumer:
    def __init__(
        self,
        client: redis.Redis,
        scorer: Scorer,
        store: FeedStore,
        sink: Sink,
        monitors: Monitors,
        settings: ConsumerSettings,
    ):
        self.client, self.scorer, self.store, self.sink = client, scorer, store, sink
        self.monitors, self.settings = monitors, settings
        self.processed = 0

    def run(self, until_idle: bool = False, stop: Callable[[], bool] = lambda: False) -> int:
        """Own pending entries first, then claimed and new ones, until ``stop()`` (or,
        with ``until_idle``, until a read finds nothing); how many entries were handled."""
        ensure_group(self.client)
        s = self.settings
        while chunk := self._read("0"):  # delivered to this name before, never acknowledged
            self.handle(chunk)
        while not stop():
            claimed = self.client.xautoclaim(
                STREAM, GROUP, s.name, s.min_idle_ms, start_id="0-0", count=s.count
            )
            if claimed[1]:
                self.handle(claimed[1])
            chunk = self._read(">")
            if chunk:
                self.handle(chunk)
            elif until_idle and not claimed[1]:
                break
        return self.processed

    def _read(self, start: str) -> list[Entry]:
        s = self.settings
        block = None if start == "0" else s.block_ms
        answer: Any = self.client.xreadgroup(GROUP, s.name, {STREAM: start}, s.count, block)
        return list(answer[0][1]) if answer else []

    def handle(self, entries: list[Entry]) -> None:
        """One chunk, written everywhere, then acknowledged."""
        batches: list[tuple[bytes, BatchRecord]] = []
        labs: list[tuple[bytes, LabResult]] = []
        dead = self.client.pipeline(transaction=False)
        for entry_id, fields in entries:
            try:
                record = parse_entry(fields)
            except DeadLetter as exc:
                letter = {"record": fields.get(FIELD, b""), "reason": str(exc), "id": entry_id}
                dead.xadd(DEAD, letter, maxlen=MAXLEN, approximate=True)  # type: ignore[arg-type]
                continue
            if isinstance(record, BatchRecord):
                batches.append((entry_id, record))
            else:
                labs.append((entry_id, record))
        tag = entries[0][0].decode().replace("-", "_")
        alarms = self._batches(batches, tag)
        alarms += self._labs(labs, tag)
        self.store.write([], [], alarms)
        dead.execute()
        self.client.xack(STREAM, GROUP, *[entry_id for entry_id, _ in entries])
        self.processed += len(entries)

    def _batches(self, batches: list[tuple[bytes, BatchRecord]], tag: str) -> list[dict[str, Any]]:
        if not batches:
            return []
        records = [r for _, r in batches]
        scored = self.scorer.score(records)
        now = datetime.now(UTC)
        sink_rows, rows, alarms = [], [], []
        for i, (entry_id, record) in enumerate(batches):
            extra = json.dumps(record.extra(), sort_keys=True)
            fields = record.model_dump(exclude={"kind", "version"}) | {"extra": extra}
            sink_rows.append(fields | {"stream_id": entry_id.decode()})
            rows.append(_batch_row(record, entry_id, scored, i, extra, now))
            alarms += [
                _alarm(a, record.batch_id, record.produced_at)
                for a in self.monitors.on_batch(record)
            ]
        self.sink.write("batches", sink_rows, tag)
        self.store.write(rows, [], [])
        return alarms

    def _labs(self, labs: list[tuple[bytes, LabResult]], tag: str) -> list[dict[str, Any]]:
        if not labs:
            return []
        predicted = predictions(self.store, [r.batch_id for _, r in labs])
        sd = self.scorer.residual_sd.get(STRENGTH)
        rows, alarms = [], []
        for _, record in labs:
            guess = predicted.get(record.batch_id)
            z = (record.strength_mpa - guess) / sd if guess is not None and sd else None
            extra = json.dumps(record.extra(), sort_keys=True)
            rows.append(
                record.model_dump(exclude={"kind", "version"}) | {"residual_z": z, "extra": extra}
            )
            if z is not None:
                alarms += [
                    _alarm(a, record.batch_id, record.measured_at) for a in self.monitors.on_lab(z)
                ]
        self.sink.write(
            "labs", [{k: v for k, v in r.items() if k != "residual_z"} for r in rows], tag
        )
        self.store.write([], rows, [])
        return alarms


def open_consumer(
    root: Path, url: str, sink: Path, database_url: str, settings: ConsumerSettings
) -> Consumer:
    """A consumer of the project at ``root``: its params and published champions, the
    broker at ``url``, the sink folder and the database (the service's)."""
    from co2mix.core.params_file import load_params
    from co2mix.feed.broker import connect
    from co2mix.plant_params.root import require_plant
    from co2mix.serving.artifacts import load_artifacts

    params = require_plant(load_params(root / "params.yaml"), "co2mix feed consume")
    art = load_artifacts(root)
    engine = create_engine(database_url)
    return Consumer(
        connect(url),
        Scorer(art, settings.contributions),
        FeedStore(engine),
        Sink(sink),
        Monitors(params, art.train, settings),
        settings,
    )


def _batch_row(
    record: BatchRecord,
    entry_id: bytes,
    scored: dict[str, dict[str, Any]],
    i: int,
    extra: str,
    now: datetime,
) -> dict[str, Any]:
    """The ``batches`` table's row: the record's key fields and its scores."""

    def value(target: str, key: str) -> float | None:
        values = scored[target][key] if target in scored else None
        return None if values is None else round(float(values[i]), 6)

    contributions = {t: s["contributions"][i] for t, s in scored.items() if s["contributions"]}
    arrived_ms = int(entry_id.split(b"-")[0])
    return {
        "batch_id": record.batch_id,
        "produced_at": record.produced_at,
        "stream_id": entry_id.decode(),
        "recipe": record.recipe,
        "cement_supplier": record.cement_supplier,
        "co2_kg_m3": record.co2_kg_m3,
        "predicted_co2": value(CO2, "predicted"),
        "co2_low": value(CO2, "low"),
        "co2_high": value(CO2, "high"),
        "predicted_strength": value(STRENGTH, "predicted"),
        "strength_low": value(STRENGTH, "low"),
        "strength_high": value(STRENGTH, "high"),
        "contributions": json.dumps(contributions) if contributions else None,
        "extra": extra,
        "arrived_at": datetime.fromtimestamp(arrived_ms / 1000, UTC),
        "scored_at": now,
    }


def _alarm(alarm: Alarm, batch_id: int, at: datetime) -> dict[str, Any]:
    return {
        "at": at,
        "monitor": alarm.monitor,
        "statistic": alarm.statistic,
        "value": alarm.value,
        "threshold": alarm.threshold,
        "batch_id": batch_id,
        "key": f"{alarm.monitor}:{alarm.statistic}:{batch_id}",
    }
