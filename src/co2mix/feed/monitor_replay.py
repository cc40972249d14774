"""The stream monitors on a simulated stretch of the plant, without a broker: how soon
they alarm under a scenario, how often with none (``bench/bench_feed.py`` measures with
it; the consumer runs the same :class:`~co2mix.feed.consume.Monitors` record by record).
"""

from __future__ import annotations

from dataclasses import dataclass

from co2mix.feed.consume import ConsumerSettings, Monitors
from co2mix.feed.messages import BatchRecord, LabResult
from co2mix.feed.produce import plant_batches, plant_events
from co2mix.feed.scoring import Scorer
from co2mix.physics.truth import STRENGTH
from co2mix.plant_params.root import PlantParams
from co2mix.plant_params.sections import Scenario
from co2mix.serving.artifacts import Artifacts


@dataclass(frozen=True)
class Raised:
    monitor: str
    batches_produced: int  # batches produced when it was raised (1 = the first)
    lab_results: int  # lab results back by then


def replay_monitors(
    params: PlantParams,
    art: Artifacts,
    scenario: Scenario,
    magnitude: float,
    batches: int,
    settings: ConsumerSettings | None = None,
) -> list[Raised]:
    """Every alarm the monitors raise over ``batches`` simulated batches (the scenario
    applied from the first one)."""
    settings = settings or ConsumerSettings()
    frame = plant_batches(params, scenario, magnitude, batches)
    scorer = Scorer(art)
    events = plant_events(frame, params)
    batch_records = [
        BatchRecord.model_validate(e.record) for e in events if e.record["kind"] == "batch"
    ]
    predicted = scorer.score(batch_records)[STRENGTH]["predicted"]
    guess = {r.batch_id: float(p) for r, p in zip(batch_records, predicted, strict=True)}
    validated = {r.batch_id: r for r in batch_records}
    sd = scorer.residual_sd[STRENGTH] or 1.0
    monitors = Monitors(params, art.train, settings)
    raised: list[Raised] = []
    produced = labs = 0
    for event in events:
        if event.record["kind"] == "batch":
            produced += 1
            alarms = monitors.on_batch(validated[event.record["batch_id"]])
        else:
            labs += 1
            lab = LabResult.model_validate(event.record)
            alarms = monitors.on_lab((lab.strength_mpa - guess[lab.batch_id]) / sd)
        raised += [Raised(a.monitor, produced, labs) for a in alarms]
    return raised
