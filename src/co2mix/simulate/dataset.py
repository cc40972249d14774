"""The simulated dataset: reference and current batches with their truth record.

:func:`generate` is what the generate stage runs.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.core.errors import InputError
from co2mix.core.params import Data
from co2mix.core.schemas import (
    BatchSummary,
    DriftRecord,
    FaultRecord,
    GenerateMetrics,
    TruthRecord,
)
from co2mix.physics.truth import CO2, STRENGTH, TARGETS
from co2mix.plant_params.sections import Generate, Scenario
from co2mix.simulate.faults import fault_counts, inject_faults
from co2mix.simulate.plant import BatchSpec, Drivers, check_schema, simulate_batch
from co2mix.simulate.scenarios import drift_record, drivers_for, stick_sensor

# Random streams: one per batch for the plant, one per batch for its faults, one for
# the scenario's stuck sensor. Changing a fault rate never changes the clean data.
REFERENCE_STREAM, CURRENT_STREAM, _REFERENCE_FAULTS, _CURRENT_FAULTS, _SCENARIO = range(5)
FEED_STREAM = 9  # the live feed's plant (co2mix feed produce): a stream of its own


@dataclass(frozen=True)
class Generated:
    reference: pd.DataFrame
    current: pd.DataFrame
    truth: TruthRecord


def _stream(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def feed_batches(
    params: Generate, data: Data, scenario: Scenario, magnitude: float, batches: int
) -> pd.DataFrame:
    """The live feed's plant: ``batches`` clean batches from the start of the current
    period, at its pace, ``scenario`` applied from the first; ids follow the current's."""
    current = params.current
    days_per_batch = (current.end - current.start).days / current.rows
    end = current.start + dt.timedelta(days=max(1, math.ceil(batches * days_per_batch)))
    first_id = params.reference.rows + current.rows
    spec = BatchSpec(batches, current.start, end, first_id, FEED_STREAM)
    return simulate_batch(params, data, spec, drivers_for(scenario, magnitude))


def _from_feed(params: Generate, data: Data, fed: pd.DataFrame) -> tuple[pd.DataFrame, DriftRecord]:
    """The feed's export as the current batch, and the truth of what its scenario moved:
    the producer's batches simulated again with and without it, at the export's ids."""
    cur = params.current
    first_id = params.reference.rows + cur.rows
    ids = fed[data.id_column].to_numpy()
    if len(ids) == 0 or ids.min() < first_id:
        raise InputError(
            f"{cur.feed_file}: batch ids from {first_id} expected (co2mix feed produce's); "
            f"found {ids.min() if len(ids) else 'no rows'}"
        )
    produced = int(ids.max()) - first_id + 1
    drivers = drivers_for(cur.scenario, cur.magnitude)
    frames = tuple(
        frame[frame[data.id_column].isin(ids)].reset_index(drop=True)
        for frame in (
            feed_batches(params, data, "none", 0.0, produced),
            feed_batches(params, data, cur.scenario, cur.magnitude, produced),
        )
    )
    keys = (data.id_column, data.order_column)
    drift = drift_record(cur.scenario, cur.magnitude, drivers, frames, None, keys)
    return fed.reset_index(drop=True), drift


def generate(params: Generate, data: Data, fed: pd.DataFrame | None = None) -> Generated:
    """Simulate both batches, apply the current batch's scenario, inject faults; with
    ``fed`` (``generate.current.source: feed``) that export is the current batch, as the
    consumer stored it (no faults injected into it).

    ``data`` names the id, time and sensor columns (refused when the plant has no such
    sensor, or the name is taken by one of its columns)."""
    check_schema(data)
    ref, cur = params.reference, params.current
    reference = simulate_batch(
        params, data, BatchSpec(ref.rows, ref.start, ref.end, 0, REFERENCE_STREAM), Drivers()
    )
    if fed is not None:
        return _with_feed(params, data, reference, fed)
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
    return Generated(reference, current, _truth(params, reference_faults, current_faults, drift))


def _truth(
    params: Generate, reference: FaultRecord, current: FaultRecord, drift: DriftRecord
) -> TruthRecord:
    """truth.json: the seed, the noise floors, each batch's faults, the current's drift."""
    return {
        "seed": params.seed,
        "targets": list(TARGETS),
        "noise_sigma": {CO2: params.noise.co2_sigma, STRENGTH: params.noise.strength_sigma},
        "reference": {"faults": reference, "drift": None},
        "current": {"faults": current, "drift": drift},
    }


def _with_feed(
    params: Generate, data: Data, reference: pd.DataFrame, fed: pd.DataFrame
) -> Generated:
    current, drift = _from_feed(params, data, fed)
    reference, reference_faults = inject_faults(
        reference, params.faults, data, _stream(params.seed, _REFERENCE_FAULTS)
    )
    none = params.faults.model_copy(
        update={"null_rate": 0.0, "spike_rate": 0.0, "duplicate_rate": 0.0,
                "tampered_start_rate": 0.0}
    )  # fmt: skip
    current, current_faults = inject_faults(current, none, data, _stream(params.seed, 0))
    return Generated(reference, current, _truth(params, reference_faults, current_faults, drift))


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
