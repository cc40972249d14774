"""The rolling-origin backtest of the forecasters, their conformal intervals, and the
forecast of the days after the log.

Origins are weekly, ending with the log: the first ``calibration_origins`` only collect
residuals, the last ``origins`` are scored. At each origin every model forecasts the next
``horizon_days`` from what was known the day before (the series up to it, the weather
forecast issued that day). Every model is scored; the plant is given one, declared in
params (``forecast.served``, default the ensemble) rather than picked by the backtest:
picking the lowest MASE over the earlier origins was tried, and on eight to twenty
origins it chased noise (CO2's models are within a few per cent of each other) or the
summer (heating energy's differences show only once it is cold).

Intervals are split-conformal on the served model's earlier residuals: at an origin, the
interval of a working day is the forecast plus the empirical quantiles of the working
days' residuals of every earlier origin (calibration and scored alike: an expanding
window, as the plant would run it); coverage is measured on the scored origins only,
each interval built before its day was known. Residuals are scaled by the forecast's
size and by how far the weather forecast's error moves it (:func:`scale`: a cold week's
heating energy errs by tens of kWh, a summer week's by one; near the heater's set point
a degree of forecast error moves it most), so an interval widens with what it
forecasts and with the weather's uncertainty. They are pooled over the steps
of the horizon, not kept by step: weekly origins give one residual per step each, and a
95 % quantile by step would need 39 origins before the first interval. A day without
production is a forecast of zero with a zero-width interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from co2mix.modeling.adaptive_conformal import AdaptiveLevels, level_key
from co2mix.modeling.forecasting import (
    BASELINE,
    ENSEMBLE,
    MODELS,
    SERIES,
    WEEK,
    History,
    Predictor,
    features,
)


@dataclass(frozen=True)
class Setup:
    """The backtest's params (``forecast`` in params.yaml), with the data it needs."""

    horizon: int
    origins: int
    calibration_origins: int
    refit_every: int
    models: list[str]
    levels: list[float]
    seed: int
    weather_error_c: tuple[float, float] = (0.0, 0.0)  # the forecast's error: base, per day
    served: str = "ensemble"  # the model whose forecast the plant is given (forecast.served)
    adapt: float = 0.0  # adaptive conformal's step (forecast.interval_adapt); 0: split


@dataclass(frozen=True)
class Backtest:
    """Every forecast of every origin: one row per (series, model, origin, step)."""

    rows: pd.DataFrame


def fitted_models(setup: Setup) -> list[str]:
    """The models fitted at an origin: every listed one but the ensemble of them."""
    return [m for m in setup.models if m != ENSEMBLE]


def origins_of(days: pd.DatetimeIndex, setup: Setup) -> pd.DatetimeIndex:
    """Weekly issue days (forecast starts) ending with the last full horizon of the log."""
    count = setup.origins + setup.calibration_origins
    last = days[-1] - pd.Timedelta(days=setup.horizon - 1)
    return pd.DatetimeIndex([last - pd.Timedelta(days=WEEK * i) for i in range(count)][::-1])


def history_at(
    series: pd.Series,
    produced: pd.Series,
    train_temp: pd.Series,
    origin: pd.Timestamp,
    warmup: int,
) -> History:
    """The series before ``origin`` and the features of its days (after ``warmup``)."""
    known = series[series.index < origin]
    days = known.index[warmup:]
    x = features(
        known, produced[produced.index < origin], train_temp.reindex(days).to_numpy(), days
    )
    ok = x.notna().all(axis=1).to_numpy()
    return History(known, x[ok], known.reindex(days)[ok])


def forecast_at(
    fitted: dict[str, Predictor],
    series: pd.Series,
    produced: pd.Series,
    origin: pd.Timestamp,
    temp_c: np.ndarray,
    setup: Setup,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every fitted model's forecast of the ``horizon`` days from ``origin``, and how
    far the weather forecast's error moves it (its change for one degree, times the
    error's standard deviation at each lead): what the intervals scale with."""
    days = pd.date_range(origin, periods=setup.horizon, freq="D")
    known = series.where(series.index < origin).reindex(series.index.union(days))
    produced_known = produced.where(produced.index < origin).reindex(known.index)
    working = (days.dayofweek < 6).astype(float)
    lead = np.arange(1, setup.horizon + 1, dtype=float)
    error_sd = setup.weather_error_c[0] + setup.weather_error_c[1] * lead
    frames = tuple(
        features(known, produced_known, temp_c + shift, days) for shift in (0.0, 1.0, -1.0)
    )
    return spread_and_ensemble(fitted, frames, working, error_sd, setup.models)


def run_backtest(
    daily: pd.DataFrame,
    produced: pd.Series,
    weather: dict[str, Any],
    setup: Setup,
    after: pd.Timestamp,
    warmup: int = 5 * WEEK,
) -> tuple[Backtest, dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """The backtest of every series in ``daily``, and every model's forecast of the
    ``horizon`` days from ``after`` (the day after the log), fitted on the whole log.
    ``produced`` is the daily batches series, whose level the weather features scale.
    ``weather`` holds ``train`` (each past day's temperature as forecast a few days
    before) and ``forecast`` (issue day -> forecast temperatures of the following
    ``horizon`` days)."""
    rows: list[tuple[Any, ...]] = []
    following = {}
    origins = origins_of(daily.index, setup)
    for name in [s for s in SERIES if s in daily]:
        series = daily[name]
        fitted: dict[str, Predictor] = {}
        for i, origin in enumerate(origins):
            history = history_at(series, produced, weather["train"], origin, warmup)
            for model in fitted_models(setup):
                if model not in fitted or model == "ets" or i % setup.refit_every == 0:
                    fitted[model] = MODELS[model](history, setup.seed)
            temps = weather["forecast"][origin]
            predicted = forecast_at(fitted, series, produced, origin, temps, setup)
            rows.extend(_rows(name, origin, i < setup.calibration_origins, predicted, series))
        history = history_at(series, produced, weather["train"], after, warmup)
        final = {model: MODELS[model](history, setup.seed) for model in fitted_models(setup)}
        temps = weather["forecast"][after]
        following[name] = forecast_at(final, series, produced, after, temps, setup)
    frame = pd.DataFrame(
        rows,
        columns=[
            "series",
            "model",
            "origin",
            "calibration",
            "step",
            "day",
            "actual",
            "forecast",
            "weather_spread",
        ],
    )
    return Backtest(frame), following


def scored_origins(frame: pd.DataFrame) -> list[pd.Timestamp]:
    return sorted(frame.loc[~frame["calibration"], "origin"].unique())


def _rows(
    name: str,
    origin: pd.Timestamp,
    calibration: bool,
    predicted: dict[str, tuple[np.ndarray, np.ndarray]],
    series: pd.Series,
) -> list[tuple[Any, ...]]:
    horizon = len(next(iter(predicted.values()))[0])
    days = pd.date_range(origin, periods=horizon, freq="D")
    return [
        (name, model, origin, calibration, step, day, float(series.get(day, np.nan)), v, w)
        for model, (values, spread) in predicted.items()
        for step, (day, v, w) in enumerate(zip(days, values, spread, strict=True), start=1)
    ]


def mase(errors: pd.Series, naive_errors: pd.Series) -> float:
    return float(errors.abs().mean() / naive_errors.abs().mean())


def working(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["day"].dt.dayofweek < 6]


def conformal_bounds(residuals: np.ndarray, level: float) -> tuple[float, float]:
    """The residual quantiles of a two-sided ``level`` interval, finite-sample corrected
    (the floor((n+1)a/2)-th and ceil((n+1)(1-a/2))-th of n sorted); infinite when there
    are too few residuals for the level."""
    values = np.sort(np.asarray(residuals, dtype=float))
    n = len(values)
    alpha = 1.0 - level
    k_hi = int(np.ceil((n + 1) * (1 - alpha / 2)))
    k_lo = int(np.floor((n + 1) * (alpha / 2)))
    if k_hi > n or k_lo < 1:
        return -np.inf, np.inf
    return float(values[k_lo - 1]), float(values[k_hi - 1])


SCALE_FLOOR = 0.1  # scale(): the floor, a share of the mean working-day value


def scale(rows: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
    """What a residual is divided by: the forecast's size plus how far the weather
    forecast's error moves it, floored at a tenth of the series' mean working-day value
    in ``history`` (a forecast near zero still errs)."""
    floor = SCALE_FLOOR * float(np.nanmean(np.abs(history["actual"])))
    return np.abs(rows["forecast"].to_numpy()) + rows["weather_spread"].to_numpy() + floor


def scaled_residuals(rows: pd.DataFrame) -> np.ndarray:
    """What the intervals are made of: each row's error over its :func:`scale`."""
    return ((rows["actual"] - rows["forecast"]) / scale(rows, rows)).to_numpy()


def with_intervals(
    backtest: Backtest, setup: Setup
) -> tuple[pd.DataFrame, dict[str, AdaptiveLevels]]:
    """At every scored origin, the served model's forecast with intervals from its
    residuals at earlier origins only, and, per series, the levels as adapted by every
    scored origin (what next week's intervals are built at)."""
    frame = backtest.rows
    parts, adapted = [], {}
    for series in frame["series"].unique():
        mine = frame[(frame["series"] == series) & (frame["model"] == setup.served)]
        blocks, adapted[str(series)] = adaptive_intervals(mine, setup)
        parts.extend(blocks)
    return pd.concat(parts, ignore_index=True), adapted


def adaptive_intervals(
    mine: pd.DataFrame, setup: Setup
) -> tuple[list[pd.DataFrame], AdaptiveLevels]:
    """One series' scored origins with bounds, in origin order: each origin's levels
    learn from every earlier origin whose days have all passed (adaptive_conformal)."""
    levels = AdaptiveLevels.start(setup.levels, setup.adapt)
    blocks: list[pd.DataFrame] = []
    pending: list[pd.DataFrame] = []  # origins whose days are not all known yet
    for origin in scored_origins(mine):
        for block in [b for b in pending if b["day"].max() < origin]:
            levels.learn(working(block))
        pending = [b for b in pending if b["day"].max() >= origin]
        earlier = working(mine[mine["origin"] < origin])
        residuals = scaled_residuals(earlier)
        block = mine[mine["origin"] == origin].copy()
        off = (block["day"].dt.dayofweek >= 6).to_numpy()
        used = levels.used(len(residuals))
        block = add_bounds(block, residuals, scale(block, earlier), off, setup.levels, used)
        blocks.append(block)
        pending.append(block)
    for block in pending:  # by the day after the log, every origin's days are known
        levels.learn(working(block))
    return blocks, levels


def add_bounds(
    block: pd.DataFrame,
    residuals: np.ndarray,
    width: np.ndarray,
    off: np.ndarray,
    levels: list[float],
    used: list[float] | None = None,
) -> pd.DataFrame:
    """``block`` (forecasts) with each level's bounds: the forecast plus the scaled
    residuals' conformal quantiles times ``width``; zero where the plant is ``off``.
    ``used``: the level each is built at, when adapted (its columns keep the nominal's
    name)."""
    for level, at in zip(levels, used or levels, strict=True):
        lo, hi = conformal_bounds(residuals, at)
        key = level_key(level)
        block[f"lo{key}"] = np.where(off, 0.0, block["forecast"] + lo * width)
        block[f"hi{key}"] = np.where(off, 0.0, block["forecast"] + hi * width)
    return block


def spread_and_ensemble(
    fitted: dict[str, Predictor],
    frames: Sequence[pd.DataFrame],
    working: np.ndarray,
    error_sd: np.ndarray,
    models: list[str],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each fitted model's forecast on ``frames`` (the features at the forecast weather,
    one degree warmer, one colder) and its weather spread (its change for one degree
    times the forecast error's sd), zero off working time; and the ensemble's (the mean
    of the members but the baseline, the widest spread: ETS knows no weather)."""
    x, warmer, colder = frames
    out = {}
    for name, predict in fitted.items():
        slope = np.abs(np.asarray(predict(warmer)) - np.asarray(predict(colder))) / 2.0
        out[name] = (np.asarray(predict(x), dtype=float) * working, slope * error_sd * working)
    if ENSEMBLE in models:
        members = [out[m] for m in fitted if m != BASELINE]
        out[ENSEMBLE] = (
            np.mean([f for f, _ in members], axis=0),
            np.max([w for _, w in members], axis=0),
        )
    return out
