"""What the hourly backtest reports: skill per series and model on the scored origins'
working hours (as the daily one: MASE against seasonal naive, RMSE, bias, RMSE against
the oracle's and the weather oracle's), the served model's intervals and their
coverage, and the hours after the log with their intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from co2mix.modeling.backtest import conformal_bounds, scale
from co2mix.modeling.forecast_report import rmse, scores
from co2mix.modeling.hourly import HourlySetup, working_hours


def _working(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[working_hours(pd.DatetimeIndex(frame["hour"]))]


def _residuals(earlier: pd.DataFrame) -> np.ndarray:
    return ((earlier["actual"] - earlier["forecast"]) / scale(earlier, earlier)).to_numpy()


def hourly_intervals(rows: pd.DataFrame, setup: HourlySetup) -> pd.DataFrame:
    """The served model's forecasts of the scored origins with each level's interval,
    from the scaled residuals of the origins whose horizon had passed by then."""
    served = rows[rows["model"] == setup.served]
    span = pd.Timedelta(hours=setup.horizon)
    parts = []
    for (_, origin), block in served[~served["calibration"]].groupby(["series", "origin"]):
        mine = served[served["series"] == block["series"].iloc[0]]
        earlier = _working(mine[mine["origin"] + span <= origin])
        residuals, block = _residuals(earlier), block.copy()
        width = scale(block, earlier)
        off = ~working_hours(pd.DatetimeIndex(block["hour"]))
        for level in setup.levels:
            lo, hi = conformal_bounds(residuals, level)
            key = round(level * 100)
            block[f"lo{key}"] = np.where(off, 0.0, block["forecast"] + lo * width)
            block[f"hi{key}"] = np.where(off, 0.0, block["forecast"] + hi * width)
        parts.append(block)
    return pd.concat(parts, ignore_index=True)


def hourly_skill(
    rows: pd.DataFrame, intervals: pd.DataFrame, oracle: pd.DataFrame, weather_oracle: pd.DataFrame
) -> dict[str, Any]:
    """Per series on the scored working hours: every model's scores and the served one's
    against the oracle (``oracle``: by hour) and the weather oracle (by origin and hour)."""
    scored = _working(rows[~rows["calibration"]])
    chosen = _working(intervals)
    out: dict[str, Any] = {}
    for series, block in scored.groupby("series", sort=False):
        error = block["forecast"] - block["actual"]
        naive_rows = block[block["model"] == "seasonal_naive"]
        naive = error[block["model"] == "seasonal_naive"]
        actual = naive_rows["actual"].to_numpy()
        floor = rmse(pd.Series(oracle[series].reindex(naive_rows["hour"]).to_numpy() - actual))
        keys = pd.MultiIndex.from_frame(naive_rows[["origin", "hour"]])
        at_forecast = weather_oracle[series].reindex(keys).to_numpy()
        weather_floor = rmse(pd.Series(at_forecast - actual))
        models = {
            m: scores(error[block["model"] == m], naive, floor) for m in block["model"].unique()
        }
        mine = chosen[chosen["series"] == series]
        served = scores(mine["forecast"] - mine["actual"], naive, floor)
        served["rmse_vs_weather_oracle"] = round(served["rmse"] / weather_floor, 6)
        out[str(series)] = {
            "served": served,
            "oracle_rmse": round(floor, 6),
            "weather_oracle_rmse": round(weather_floor, 6),
            "scored_hours": len(naive_rows),
            "models": models,
        }
    return out


def hourly_coverage(intervals: pd.DataFrame, levels: list[float]) -> dict[str, dict[str, float]]:
    """Per series: the share of scored working hours inside each level's interval."""
    out: dict[str, dict[str, float]] = {}
    for series, block in _working(intervals).groupby("series", sort=False):
        out[str(series)] = {}
        for level in levels:
            key = round(level * 100)
            inside = (block["actual"] >= block[f"lo{key}"]) & (block["actual"] <= block[f"hi{key}"])
            out[str(series)][f"{key}"] = round(float(inside.mean()), 6)
    return out


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
        residuals = _residuals(mine)
        values, spread = by_model[setup.served]
        widths = scale(pd.DataFrame({"forecast": values, "weather_spread": spread}), mine)
        bounds = {level: conformal_bounds(residuals, level) for level in setup.levels}
        entries = []
        for hour, value, width, works in zip(hours, values, widths, working, strict=True):
            entry: dict[str, Any] = {"hour": hour.isoformat(), "forecast": round(float(value), 4)}
            for level, (lo, hi) in bounds.items():
                key = round(level * 100)
                entry[f"lo{key}"] = round(float(value + lo * width), 4) if works else 0.0
                entry[f"hi{key}"] = round(float(value + hi * width), 4) if works else 0.0
            entries.append(entry)
        out[series] = entries
    return out
