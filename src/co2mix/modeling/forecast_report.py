"""What the forecast stage reports: skill per series and model on the scored origins
(MASE against seasonal naive, RMSE, bias, RMSE against the oracle's), the served
model's interval coverage, and next week's forecast with its intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from co2mix.modeling.adaptive_conformal import AdaptiveLevels, level_key
from co2mix.modeling.backtest import (
    Backtest,
    Setup,
    conformal_bounds,
    mase,
    scale,
    scaled_residuals,
    working,
)


def rmse(errors: pd.Series) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def scores(error: pd.Series, naive: pd.Series, floor: float) -> dict[str, float]:
    return {
        "mase": round(mase(error, naive), 6),
        "rmse": round(rmse(error), 6),
        "bias": round(float(error.mean()), 6),
        "rmse_vs_oracle": round(rmse(error) / floor, 6),
    }


def series_skill(
    block: pd.DataFrame,
    served_rows: pd.DataFrame,
    when: str,
    oracle: pd.Series,
    forecast_floor: pd.Series,
) -> dict[str, Any]:
    """One series' scores on its scored working rows: every model's (``block``) and the
    served model's (``served_rows``), against the oracle (by ``when``: day or hour) and
    the forecast floor (by origin and ``when``)."""
    error = block["forecast"] - block["actual"]
    is_naive = block["model"] == "seasonal_naive"
    naive_rows, naive = block[is_naive], error[is_naive]
    actual = naive_rows["actual"].to_numpy()
    floor = rmse(pd.Series(oracle.reindex(naive_rows[when]).to_numpy() - actual))
    keys = pd.MultiIndex.from_frame(naive_rows[["origin", when]])
    best_given_weather = rmse(pd.Series(forecast_floor.reindex(keys).to_numpy() - actual))
    served = scores(served_rows["forecast"] - served_rows["actual"], naive, floor)
    served["rmse_vs_forecast_floor"] = round(served["rmse"] / best_given_weather, 6)
    return {
        "served": served,
        "oracle_rmse": round(floor, 6),
        "forecast_floor_rmse": round(best_given_weather, 6),
        f"scored_{when}s": len(naive_rows),
        "models": {
            m: scores(error[block["model"] == m], naive, floor) for m in block["model"].unique()
        },
    }


def skill(
    backtest: Backtest,
    intervals: pd.DataFrame,
    oracle: pd.DataFrame,
    forecast_floor: pd.DataFrame,
) -> dict[str, Any]:
    """Per series, on the scored origins' working days: every model's scores and the
    served model's (``intervals``), against two references: the oracle (the expected
    series at the realized weather: no forecaster beats it) and the forecast floor (the
    expectation given the weather forecast: the best a forecaster holding it can do, so
    the gap between the two is the weather forecast's, the rest the model's)."""
    scored = working(backtest.rows[~backtest.rows["calibration"]])
    chosen = working(intervals)
    return {
        str(series): series_skill(
            block, chosen[chosen["series"] == series], "day", oracle[series], forecast_floor[series]
        )
        for series, block in scored.groupby("series", sort=False)
    }


def coverage(intervals: pd.DataFrame, levels: list[float]) -> dict[str, dict[str, float]]:
    """Per series: the share of scored working days inside each level's interval."""
    return share_inside(working(intervals[~intervals["calibration"]]), levels)


def share_inside(scored: pd.DataFrame, levels: list[float]) -> dict[str, dict[str, float]]:
    """Per series of ``scored`` (forecasts with bounds): the share of its rows inside
    each level's interval."""
    out: dict[str, dict[str, float]] = {}
    for series, block in scored.groupby("series", sort=False):
        out[str(series)] = {}
        for level in levels:
            key = level_key(level)
            inside = (block["actual"] >= block[f"lo{key}"]) & (block["actual"] <= block[f"hi{key}"])
            out[str(series)][key] = round(float(inside.mean()), 6)
    return out


def next_days(
    forecasts: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
    backtest: Backtest,
    days: pd.DatetimeIndex,
    setup: Setup,
    adapted: dict[str, AdaptiveLevels],
) -> dict[str, list[dict[str, Any]]]:
    """The served model's forecast of ``days`` (after the log) with intervals from every
    backtest residual of its working days, at the levels the backtest adapted to."""
    out: dict[str, list[dict[str, Any]]] = {}
    model = setup.served
    for series in forecasts:
        mine = (backtest.rows["series"] == series) & (backtest.rows["model"] == model)
        worked = working(backtest.rows[mine])
        residuals = scaled_residuals(worked)
        values, spread = forecasts[series][model]
        ahead = pd.DataFrame({"forecast": values, "weather_spread": spread})
        widths = scale(ahead, worked)
        used = adapted[series].used(len(residuals))
        entries = []
        for day, value, width in zip(days, values, widths, strict=True):
            entry: dict[str, Any] = {"day": day.date().isoformat()}
            entry["forecast"] = round(float(value), 4)
            for level, at in zip(setup.levels, used, strict=True):
                lo, hi = conformal_bounds(residuals, at) if day.dayofweek < 6 else (0, 0)
                key = level_key(level)
                entry[f"lo{key}"] = round(float(value + lo * width), 4)
                entry[f"hi{key}"] = round(float(value + hi * width), 4)
            entries.append(entry)
        out[series] = entries
    return out
