"""Sensor faults injected into recorded data, each one written down.

Faults touch only the recorded sensor columns, never the mix masses or the targets:
the plant produced what it produced, the instruments misreported it. Each cell gets
at most one fault; precedence is tampered run, then spike, then null. Duplicated rows
are exact copies logged right after the original.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from co2mix.core.params import Data
from co2mix.core.schemas import FaultCells, FaultCounts, FaultRecord, TamperedRun
from co2mix.plant_params.sections import Faults

SPIKE_SD = (8.0, 15.0)


def _tampered_runs(
    frame: pd.DataFrame,
    keys: tuple[str, str],
    columns: list[str],
    faults: Faults,
    rng: np.random.Generator,
    taken: np.ndarray,
) -> list[TamperedRun]:
    """A sensor holds the value it read at a start row for some hours.
    ``keys`` names the id and the time column."""
    n = len(frame)
    starts = np.flatnonzero(rng.random(n) < faults.tampered_start_rate)
    which = rng.integers(0, len(columns), size=len(starts))
    hours = rng.uniform(faults.tampered_hours[0], faults.tampered_hours[1], size=len(starts))
    id_column, time_column = keys
    times = frame[time_column].to_numpy()
    ids = frame[id_column].to_numpy()
    runs: list[TamperedRun] = []
    for start, j, h in zip(starts, which, hours, strict=True):
        if taken[start, j]:
            continue
        end = int(
            np.searchsorted(times, times[start] + np.timedelta64(int(h * 3600), "s"), "right")
        )
        rows = np.arange(start + 1, end)
        rows = rows[~taken[rows, j]]
        if len(rows) == 0:
            continue
        column = columns[j]
        value = float(frame[column].iloc[start])
        frame.iloc[rows, frame.columns.get_loc(column)] = value
        taken[rows, j] = True
        taken[start, j] = True  # the start reading is part of the constant run
        runs.append(
            {
                "column": column,
                "value": value,
                "hours": round(float(h), 4),
                "start_batch_id": int(ids[start]),
                "batch_ids": ids[rows].tolist(),
            }
        )
    return runs


def _cell_faults(columns: list[str], mask: np.ndarray, ids: np.ndarray) -> list[FaultCells]:
    return [
        {"column": column, "batch_ids": ids[mask[:, j]].tolist()}
        for j, column in enumerate(columns)
        if mask[:, j].any()
    ]


def inject_faults(
    clean: pd.DataFrame,
    faults: Faults,
    data: Data,
    rng: np.random.Generator,
    protected: dict[str, list[int]] | None = None,
) -> tuple[pd.DataFrame, FaultRecord]:
    """Return the faulty recorded batch and the record of every fault injected.

    ``protected`` maps a column to batch ids whose cells already carry a fault
    (a stuck sensor of the drift scenario) and must not get a second one. Faults strike
    the sensor columns ``data`` names.
    """
    frame = clean.copy()
    columns = list(data.sensor_columns)
    n, k = len(frame), len(columns)
    ids = frame[data.id_column].to_numpy()
    taken = np.zeros((n, k), dtype=bool)
    for column, batch_ids in (protected or {}).items():
        if column in columns:
            taken[np.isin(ids, batch_ids), columns.index(column)] = True

    keys = (data.id_column, data.order_column)
    tampered = _tampered_runs(frame, keys, columns, faults, rng, taken)

    spikes = (rng.random((n, k)) < faults.spike_rate) & ~taken
    size = rng.uniform(*SPIKE_SD, size=(n, k)) * rng.choice([-1.0, 1.0], size=(n, k))
    for j, column in enumerate(columns):
        rows = np.flatnonzero(spikes[:, j])
        if len(rows):
            sd = float(clean[column].std())
            position = frame.columns.get_loc(column)
            frame.iloc[rows, position] = frame[column].to_numpy()[rows] + size[rows, j] * sd
    taken |= spikes

    nulls = (rng.random((n, k)) < faults.null_rate) & ~taken
    for j, column in enumerate(columns):
        frame.loc[nulls[:, j], column] = np.nan

    duplicated = np.flatnonzero(rng.random(n) < faults.duplicate_rate)
    order = np.sort(np.concatenate([np.arange(n), duplicated]), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)

    record: FaultRecord = {
        "null": _cell_faults(columns, nulls, ids),
        "spike": _cell_faults(columns, spikes, ids),
        "tampered": tampered,
        "duplicate": {"batch_ids": ids[duplicated].tolist()},
    }
    return frame, record


def fault_counts(record: FaultRecord) -> FaultCounts:
    """How many faults of each kind a record holds (cells, runs or rows)."""
    return {
        "null_cells": sum(len(f["batch_ids"]) for f in record["null"]),
        "spike_cells": sum(len(f["batch_ids"]) for f in record["spike"]),
        "tampered_runs": len(record["tampered"]),
        "tampered_cells": sum(len(r["batch_ids"]) for r in record["tampered"]),
        "duplicate_rows": len(record["duplicate"]["batch_ids"]),
    }
