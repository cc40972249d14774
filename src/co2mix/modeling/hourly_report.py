"""What the hourly backtest reports: skill per series and model on the scored origins'
working hours (as the daily one: MASE against seasonal naive, RMSE, bias, RMSE against
the oracle's and the forecast floor's), the served model's intervals and their
coverage, and the hours after the log with their intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from co2mix.modeling.adaptive_conformal import level_key
from co2mix.modeling.backtest import add_bounds, conformal_bounds, scale, scaled_residuals
from co2mix.modeling.forecast_report import series_skill, share_inside
from co2mix.modeling.hourly import HourlySetup, working_hours


def _working(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[working_hours(pd.DatetimeIndex(frame["hour"]))]


def hourly_intervals(rows: pd.DataFrame, setup: HourlySetup) -> pd.DataFrame:
    """The served model's forecasts of the scored origins with each level's interval,
    from the scaled residuals of the origins whose horizon had passed by then."""
    served = rows[rows["model"] == setup.served]
    span = pd.Timedelta(hours=setup.horizon)
    parts = []
    for (_, origin), block in served[~served["calibration"]].groupby(["series", "origin"]):
        mine = served[served["series"] == block["series"].iloc[0]]
        earlier = _working(mine[mine["origin"] + span <= origin])
        residuals, block = scaled_residuals(earlier), block.copy()
        width = scale(block, earlier)
        off = ~working_hours(pd.DatetimeIndex(block["hour"]))
        parts.append(add_bounds(block, residuals, width, off, setup.levels))
    return pd.concat(parts, ignore_index=True)


def hourly_skill(
    rows: pd.DataFrame, intervals: pd.DataFrame, oracle: pd.DataFrame, forecast_floor: pd.DataFrame
) -> dict[str, Any]:
    """Per series on the scored working hours: every model's scores and the served one's
    against the oracle (``oracle``: by hour) and the forecast floor (by origin and hour)."""
    scored = _working(rows[~rows["calibration"]])
    chosen = _working(intervals)
    return {
        str(series): series_skill(
            block,
            chosen[chosen["series"] == series],
            "hour",
            oracle[series],
            forecast_floor[series],
        )
        for series, block in scored.groupby("series", sort=False)
    }


def hourly_coverage(intervals: pd.DataFrame, levels: list[float]) -> dict[str, dict[str, float]]:
    """Per series: the share of scored working hours inside each level's interval."""
    return share_inside(_working(intervals), levels)


def next_hours(
    forecasts: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
    rows: pd.DataFrame,
    hours: pd.DatetimeIndex,
    setup: HourlySetup,
) -> dict[str, list[dict[str, Any]]]:
    """The served model's forecast of ``hours`` (after the log) with intervals from every
    backtest residual of its working hours."""
    out: dict[str, list[dict[str, Any]]] = {}
    working = working_hours(hours)
    for series, by_model in forecasts.items():
        mine = _working(rows[(rows["series"] == series) & (rows["model"] == setup.served)])
        residuals = scaled_residuals(mine)
        values, spread = by_model[setup.served]
        widths = scale(pd.DataFrame({"forecast": values, "weather_spread": spread}), mine)
        bounds = {level: conformal_bounds(residuals, level) for level in setup.levels}
        entries = []
        for hour, value, width, works in zip(hours, values, widths, working, strict=True):
            entry: dict[str, Any] = {"hour": hour.isoformat(), "forecast": round(float(value), 4)}
            for level, (lo, hi) in bounds.items():
                key = level_key(level)
                entry[f"lo{key}"] = round(float(value + lo * width), 4) if works else 0.0
                entry[f"hi{key}"] = round(float(value + hi * width), 4) if works else 0.0
            entries.append(entry)
        out[series] = entries
    return out
