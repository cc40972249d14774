"""Fault detectors for recorded sensor data: duplicates, stuck sensors, spikes.

The check stage reports with them (as deepchecks checks) and the prepare stage cleans
with them, so what the report counts is exactly what cleaning removes. Each detector
returns boolean masks aligned with the frame it was given; rows must be in production
order for stuck-sensor detection.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# A robust scale that survives a point mass: a heater's meter reads its standby draw
# on most summer batches, so its MAD is nearly zero; the 5-95 % range is not.
_NORMAL_IQR_90 = 3.29  # width of the central 90 % of a standard normal


def duplicate_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows that exactly repeat an earlier row (the first occurrence is kept)."""
    return frame.duplicated(keep="first")


def stuck_cells(frame: pd.DataFrame, columns: list[str], min_readings: int) -> pd.DataFrame:
    """Readings that repeat the previous reading within a run of ``min_readings`` or more.

    The first reading of a run is genuine (the sensor stuck at it) and is not flagged;
    duplicated rows are skipped so a logged-twice batch does not look like a stuck sensor.
    """
    flags = pd.DataFrame(False, index=frame.index, columns=columns)
    unique = ~duplicate_rows(frame)
    for column in columns:
        values = frame.loc[unique, column].to_numpy(dtype=float)
        repeat = np.zeros(len(values), dtype=bool)
        repeat[1:] = values[1:] == values[:-1]  # NaN never equals: a gap ends a run
        run_id = np.cumsum(~repeat)
        run_length = np.bincount(run_id)[run_id]
        flagged = repeat & (run_length >= min_readings)
        flags.loc[unique[unique].index[flagged], column] = True
    return flags


def robust_z(values: pd.Series) -> pd.Series:
    """|x - median| over a robust scale: max(1.4826 MAD, 5-95 % range / 3.29)."""
    median = values.median()
    mad_scale = 1.4826 * (values - median).abs().median()
    q05, q95 = values.quantile([0.05, 0.95])
    scale = max(mad_scale, (q95 - q05) / _NORMAL_IQR_90)
    if not np.isfinite(scale) or scale == 0:
        return pd.Series(0.0, index=values.index)
    return (values - median).abs() / scale


def spike_cells(
    frame: pd.DataFrame, columns: list[str], z: float, exclude: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Readings further than ``z`` robust scales from their column's median.

    ``exclude`` marks cells already flagged otherwise (stuck readings): they are left
    out of the median and scale and are not flagged twice.
    """
    flags = pd.DataFrame(False, index=frame.index, columns=columns)
    for column in columns:
        values = frame[column].astype(float)
        if exclude is not None:
            values = values.mask(exclude[column])
        flags[column] = (robust_z(values) > z).fillna(False).to_numpy()
    return flags
