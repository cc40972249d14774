"""The simulated dataset: reference and current batches with their truth record.

:func:`generate` is what the generate stage runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.core.params import Data
from co2mix.core.params_plant import Generate
from co2mix.core.schemas import BatchSummary, FaultRecord, GenerateMetrics, TruthRecord
from co2mix.physics.truth import CO2, STRENGTH, TARGETS
from co2mix.simulate.faults import fault_counts, inject_faults
from co2mix.simulate.plant import BatchSpec, Drivers, check_schema, simulate_batch
from co2mix.simulate.scenarios import drift_record, drivers_for, stick_sensor

# Random streams: one per batch for the plant, one per batch for its faults, one for
# the scenario's stuck sensor. Changing a fault rate never changes the clean data.
REFERENCE_STREAM, CURRENT_STREAM, _REFERENCE_FAULTS, _CURRENT_FAULTS, _SCENARIO = range(5)


@dataclass(frozen=True)
class Generated:
    reference: pd.DataFrame
    current: pd.DataFrame
    truth: TruthRecord


def _stream(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def generate(params: Generate, data: Data) -> Generated:
    """Simulate both batches, apply the current batch's scenario, inject faults.

    ``data`` names the id, time and sensor columns (refused when the plant has no such
    sensor, or the name is taken by one of its columns)."""
    check_schema(data)
    ref, cur = params.reference, params.current
    reference = simulate_batch(
        params, data, BatchSpec(ref.rows, ref.start, ref.end, 0, REFERENCE_STREAM), Drivers()
    )
    current_spec = BatchSpec(cur.rows, cur.start, cur.end, ref.rows, CURRENT_STREAM)
    drivers = drivers_for(cur.scenario, cur.magnitude)
    baseline = simulate_batch(params, data, current_spec, Drivers())
    current = (
        simulate_batch(params, data, current_spec, drivers) if drivers != Drivers() else baseline
    )

    stuck = None
    if cur.scenario == "sensor_fault":
        scenario_rng = _stream(params.seed, _SCENARIO)
        current, stuck = stick_sensor(current, scenario_rng, cur.magnitude, data.id_column)
    keys = (data.id_column, data.order_column)
    drift = drift_record(cur.scenario, cur.magnitude, drivers, (baseline, current), stuck, keys)

    reference, reference_faults = inject_faults(
        reference, params.faults, data, _stream(params.seed, _REFERENCE_FAULTS)
    )
    protected = {stuck["column"]: stuck["batch_ids"]} if stuck else None
    current, current_faults = inject_faults(
        current, params.faults, data, _stream(params.seed, _CURRENT_FAULTS), protected
    )
    truth: TruthRecord = {
        "seed": params.seed,
        "targets": list(TARGETS),
        "noise_sigma": {CO2: params.noise.co2_sigma, STRENGTH: params.noise.strength_sigma},
        "reference": {"faults": reference_faults, "drift": None},
        "current": {"faults": current_faults, "drift": drift},
    }
    return Generated(reference, current, truth)


def _batch_summary(frame: pd.DataFrame, record: FaultRecord) -> BatchSummary:
    return {
        "rows": len(frame),
        "faults": fault_counts(record),
        "mean_co2_kg_m3": round(float(frame[CO2].mean()), 4),
        "mean_strength_mpa": round(float(frame[STRENGTH].mean()), 4),
    }


def summarize(generated: Generated) -> GenerateMetrics:
    """Small, deterministic metrics of a generated data set (metrics/generate.json)."""
    drift = generated.truth["current"]["drift"]
    assert drift is not None  # generate always records the current batch's scenario
    return {
        "reference": _batch_summary(generated.reference, generated.truth["reference"]["faults"]),
        "current": _batch_summary(generated.current, generated.truth["current"]["faults"]),
        "scenario": drift["scenario"],
        "drifted_features": drift["drifted_features"],
        "drifted_labels": drift["drifted_labels"],
    }
