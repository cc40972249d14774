"""Prediction intervals by split conformal calibration, measured on rows they never saw.

The published champion's absolute errors on the held-out latest fresh rows (this month's
plant, rows no published model learnt from) calibrate a symmetric interval: the
``ceil((n + 1) x level)``-th smallest of the ``n`` calibration errors is its half-width,
which covers a new row with probability at least ``level`` when the rows are
exchangeable. The latest rows are split in production order: the earlier half
calibrates, and the coverage is measured on the later half, so the figure also says how
well the interval holds a little further in time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from co2mix.core.records import number
from co2mix.core.schemas import ConformalInterval


def half_width(errors: np.ndarray, level: float) -> float:
    """The split-conformal half-width of ``errors`` (absolute residuals) at ``level``;
    infinite when there are too few of them for that level."""
    n = len(errors)
    rank = math.ceil((n + 1) * level)
    if n == 0 or rank > n:
        return math.inf
    return float(np.sort(errors)[rank - 1])


def calibrate(actual: pd.Series, predicted: np.ndarray, level: float) -> ConformalInterval:
    """Calibrate on the earlier half of ``actual`` (in production order), measure the
    coverage on the later half."""
    errors = np.abs(actual.to_numpy(dtype=float) - np.asarray(predicted, dtype=float))
    cut = len(errors) // 2
    calibration, evaluation = errors[:cut], errors[cut:]
    width = half_width(calibration, level)
    covered = float(np.mean(evaluation <= width)) if len(evaluation) else math.nan
    return {
        "level": level,
        "half_width": number(width) if math.isfinite(width) else math.inf,
        "calibration_rows": len(calibration),
        "evaluation_rows": len(evaluation),
        "coverage": number(covered),
        "calibrated_on": "the earlier half of the latest fresh rows (production order)",
    }
