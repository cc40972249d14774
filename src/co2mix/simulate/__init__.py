"""The simulated concrete plant: reference and current batches with known truth.

``generate`` is what the generate stage runs; ``co2mix.simulate.truth`` is the
noise-free physics, importable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from co2mix.params import Generate
from co2mix.simulate.faults import fault_counts, inject_faults
from co2mix.simulate.plant import TARGETS, BatchSpec, Drivers, simulate_batch
from co2mix.simulate.scenarios import drift_record, drivers_for, stick_sensor

__all__ = ["Generated", "generate", "summarize"]

# Random streams: one per batch for the plant, one per batch for its faults, one for
# the scenario's stuck sensor. Changing a fault rate never changes the clean data.
_REFERENCE, _CURRENT, _REFERENCE_FAULTS, _CURRENT_FAULTS, _SCENARIO = range(5)


@dataclass(frozen=True)
class Generated:
    reference: pd.DataFrame
    current: pd.DataFrame
    truth: dict[str, Any]


def _stream(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def generate(params: Generate) -> Generated:
    """Simulate both batches, apply the current batch's scenario, inject faults."""
    ref, cur = params.reference, params.current
    reference = simulate_batch(
        params, BatchSpec(ref.rows, ref.start, ref.end, 0, _REFERENCE), Drivers()
    )
    current_spec = BatchSpec(cur.rows, cur.start, cur.end, ref.rows, _CURRENT)
    drivers = drivers_for(cur.scenario, cur.magnitude)
    baseline = simulate_batch(params, current_spec, Drivers())
    current = simulate_batch(params, current_spec, drivers) if drivers != Drivers() else baseline

    stuck = None
    if cur.scenario == "sensor_fault":
        current, stuck = stick_sensor(current, _stream(params.seed, _SCENARIO), cur.magnitude)
    drift = drift_record(cur.scenario, cur.magnitude, drivers, baseline, current, stuck)

    reference, reference_faults = inject_faults(
        reference, params.faults, _stream(params.seed, _REFERENCE_FAULTS)
    )
    protected = {stuck["column"]: stuck["batch_ids"]} if stuck else None
    current, current_faults = inject_faults(
        current, params.faults, _stream(params.seed, _CURRENT_FAULTS), protected
    )
    truth = {
        "seed": params.seed,
        "targets": list(TARGETS),
        "noise_sigma": {
            "co2_kg_m3": params.noise.co2_sigma,
            "strength_mpa": params.noise.strength_sigma,
        },
        "reference": {"faults": reference_faults, "drift": None},
        "current": {"faults": current_faults, "drift": drift},
    }
    return Generated(reference, current, truth)


def _batch_summary(frame: pd.DataFrame, record: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"rows": len(frame), "faults": fault_counts(record)}
    for target in TARGETS:
        summary[f"mean_{target}"] = round(float(frame[target].mean()), 4)
    return summary


def summarize(generated: Generated) -> dict[str, Any]:
    """Small, deterministic metrics of a generated data set (metrics/generate.json)."""
    drift = generated.truth["current"]["drift"]
    return {
        "reference": _batch_summary(generated.reference, generated.truth["reference"]["faults"]),
        "current": _batch_summary(generated.current, generated.truth["current"]["faults"]),
        "scenario": drift["scenario"],
        "drifted_features": drift["drifted_features"],
        "drifted_labels": drift["drifted_labels"],
    }
