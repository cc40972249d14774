"""Drift scenarios for the current batch, and the record of what each one really moved.

``magnitude`` scales every scenario; at 1.0:
- ``winter``: 8 C colder all year: more heating energy, colder curing, slower strength gain;
- ``supplier``: the main cement supplier's cement is 12 % weaker (concept drift: only
  the strength label moves, every feature keeps its distribution);
- ``recipes``: production weights tilted by exp(4 x SCM share) towards slag and fly ash
  recipes (covariate drift of the mix);
- ``sensor_fault``: a humidity or ambient temperature sensor stuck for 20 % of the batch;
- ``new_supplier``: from a third of the way through the batch a fourth cement supplier
  ``D``, never seen in the reference, delivers a third of the batch's cement (6 % weaker
  than the usual: strength factor 0.94); magnitude scales its share (at most the last
  two thirds of the rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from co2mix.core.schemas import ColumnChange, DriftRecord, StuckSensor
from co2mix.physics.truth import TARGETS
from co2mix.plant_params.sections import Scenario
from co2mix.simulate.plant import Drivers

WINTER_OFFSET_C = -8.0
RECIPE_TILT = 4.0
SUPPLIER_WEAKENING = 0.12
STUCK_FRACTION = 0.20
NEW_SUPPLIER_SHARE = 1 / 3
STUCK_CANDIDATES = ("humidity_pct", "ambient_temp_c")


def drivers_for(scenario: Scenario, magnitude: float) -> Drivers:
    """How the plant is run differently under ``scenario``."""
    if scenario == "winter":
        return Drivers(ambient_offset_c=WINTER_OFFSET_C * magnitude)
    if scenario == "recipes":
        return Drivers(scm_tilt=RECIPE_TILT * magnitude)
    if scenario == "supplier":
        return Drivers(main_supplier_weakening=SUPPLIER_WEAKENING * magnitude)
    if scenario == "new_supplier":
        return Drivers(new_supplier_share=NEW_SUPPLIER_SHARE * magnitude)
    if scenario in ("none", "sensor_fault"):
        return Drivers()
    raise ValueError(f"unknown scenario {scenario!r}")


def stick_sensor(
    frame: pd.DataFrame, rng: np.random.Generator, magnitude: float, id_column: str
) -> tuple[pd.DataFrame, StuckSensor | None]:
    """A sensor that stops updating for a contiguous stretch of production."""
    n = len(frame)
    length = min(round(STUCK_FRACTION * magnitude * n), n)
    column = STUCK_CANDIDATES[rng.integers(len(STUCK_CANDIDATES))]
    start = int(rng.integers(0, n - length + 1)) if length else 0
    if length < 2:
        return frame, None
    stuck = frame.copy()
    value = float(frame[column].iloc[start])
    rows = np.arange(start + 1, start + length)
    stuck.loc[rows, column] = value
    record: StuckSensor = {
        "kind": "stuck_sensor",
        "column": column,
        "value": value,
        "start_batch_id": int(frame[id_column].iloc[start]),
        "batch_ids": frame[id_column].iloc[rows].astype(int).tolist(),
    }
    return stuck, record


def column_changes(
    baseline: pd.DataFrame, drifted: pd.DataFrame, not_compared: tuple[str, ...]
) -> dict[str, ColumnChange]:
    """Per column moved by the scenario: rows changed and, if numeric, the mean shift in sd.
    The ``not_compared`` columns (the id and the time) are not features."""
    changes: dict[str, ColumnChange] = {}
    for column in baseline.columns:
        if column in not_compared:
            continue
        before, after = baseline[column], drifted[column]
        changed = int((before.astype(object) != after.astype(object)).sum())
        if changed == 0:
            continue
        entry: ColumnChange = {"changed_rows": changed}
        if pd.api.types.is_numeric_dtype(before):
            sd = float(before.std())
            shift = float(after.mean() - before.mean())
            entry["mean_shift"] = round(shift, 6)
            entry["mean_shift_sd"] = round(shift / sd, 6) if sd > 0 else None
        changes[column] = entry
    return changes


def drift_record(
    scenario: Scenario,
    magnitude: float,
    drivers: Drivers,
    frames: tuple[pd.DataFrame, pd.DataFrame],
    stuck: StuckSensor | None,
    not_compared: tuple[str, ...],
) -> DriftRecord:
    """What truth.json says about the drift applied to the current batch: ``frames`` is the
    batch simulated without and with the scenario."""
    changes = column_changes(*frames, not_compared)
    return {
        "scenario": scenario,
        "magnitude": magnitude,
        "drivers": {
            "ambient_offset_c": drivers.ambient_offset_c,
            "scm_tilt": drivers.scm_tilt,
            "main_supplier_weakening": drivers.main_supplier_weakening,
            "new_supplier_share": drivers.new_supplier_share,
        },
        "drifted_features": sorted(c for c in changes if c not in TARGETS),
        "drifted_labels": sorted(c for c in changes if c in TARGETS),
        "columns": changes,
        "stuck_sensor": stuck,
    }
