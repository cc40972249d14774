"""Hourly forecasts of the plant's series, 48 hours ahead: when in the next two days the
plant will emit and buy heating energy, hour by hour.

The production log is summed by clock hour (``hourly_series``); an hour outside the
working hours (Monday to Saturday, 06:00-18:00) is zero and forecast as zero: the
calendar is known. Origins are days at 00:00; each forecasts the next
``horizon_hours``. Every model is *direct* with lags of at least a week (168 hours), so
one fitted model serves every lead of two days and nothing it uses is unknown at the
origin:

- ``seasonal_naive``: the same hour last week; the baseline every MASE is scaled by.
- ``ets``: Holt-Winters with an additive weekly season of 168 hours (which holds the
  daily shape too: the nights and the Sunday are zeros of it), statsmodels, on the
  last six weeks, its weights from a small grid (as the daily ETS, for the same
  reason: statsmodels' optimiser is chaotic on these flat objectives); no weather.
- ``ridge`` and ``xgboost``: the same hour of the four weeks before (its mean), last
  week's, the working-hour level of the series and of production, and heating degrees
  at the hour's forecast temperature times the production level (batches x heat per
  batch per degree: the daily models' physics, by the hour).
- ``ensemble``: the mean of the listed models but the baseline.

No ``mlp`` by the hour: the daily stand-in for an LSTM fits 1,100 days; here it would fit
8,000 working hours at every refit of every series, about ten seconds of a stage whose
budget is fifteen, for a model the daily backtest ranks last on CO2.

Intervals are split-conformal as the daily ones (:mod:`co2mix.modeling.backtest`), on
the served model's working-hour residuals of earlier origins whose 48 hours had all
passed (an origin the day before still has a day to run: its residuals would be the
future's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from co2mix.modeling.backtest import spread_and_ensemble
from co2mix.modeling.forecasting import (
    ENSEMBLE,
    HEATING_BELOW_C,
    MILD_BELOW_C,
    Predictor,
    boosted_trees,
)

WEEK_H = 168
LEVEL_H = 4 * WEEK_H  # the working-hour level: the four weeks before t - 168 h
FIRST_HOUR, END_HOUR = 6, 18  # production hours (the plant's calendar)
LINEAR_H = ["saturday", "profile", "lag168", "level", "level_hdd", "level_mild"]
MODELS_H = ("seasonal_naive", "ets", "ridge", "xgboost", "ensemble")


def working_hours(hours: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((hours.dayofweek < 6) & (hours.hour >= FIRST_HOUR) & (hours.hour < END_HOUR))


def hourly_series(rows: pd.DataFrame, time_column: str, hours: pd.DatetimeIndex) -> pd.DataFrame:
    """The production log by clock hour: batches, their CO2 (t) and heating energy (kWh)."""
    hour = pd.to_datetime(rows[time_column]).dt.floor("h")
    grouped = rows.groupby(hour)
    frame = pd.DataFrame(
        {
            "batches": grouped.size().astype(float),
            "co2_t": grouped["co2_kg_m3"].sum() / 1000.0,
            "heating_energy_kwh": grouped["heating_energy_kwh"].sum(),
        }
    )
    return frame.reindex(hours, fill_value=0.0)


def _level(values: pd.Series, working: np.ndarray) -> pd.Series:
    return values.where(working).shift(WEEK_H).rolling(LEVEL_H, min_periods=LEVEL_H // 8).mean()


def hourly_features(
    known: pd.Series, produced: pd.Series, temp_c: np.ndarray, hours: pd.DatetimeIndex
) -> pd.DataFrame:
    """The features of target ``hours`` from ``known`` and ``produced`` (the series and
    the batches series, NaN where unknown: only values up to ``t - 168 h`` are used) and
    each hour's forecast temperature."""
    working = working_hours(known.index)
    lags = [known.shift(WEEK_H * k) for k in range(1, 5)]
    frame = pd.DataFrame(index=hours)
    frame["saturday"] = (hours.dayofweek == 5).astype(float)
    frame["hour"] = hours.hour.astype(float)
    frame["lag168"] = lags[0].reindex(hours).to_numpy()
    frame["profile"] = pd.concat(lags, axis=1).mean(axis=1).reindex(hours).to_numpy()
    frame["level"] = _level(known, working).reindex(hours).to_numpy()
    production = _level(produced, working).reindex(hours).to_numpy()
    frame["temp_c"] = temp_c
    frame["level_hdd"] = production * np.maximum(HEATING_BELOW_C - temp_c, 0.0)
    frame["level_mild"] = production * np.maximum(MILD_BELOW_C - temp_c, 0.0)
    return frame


@dataclass(frozen=True)
class HourlyHistory:
    series: pd.Series  # the whole series before the origin
    x: pd.DataFrame  # features of its working hours
    y: pd.Series


def _hourly_seasonal_naive(history: HourlyHistory, seed: int) -> Predictor:
    return lambda x: x["lag168"].to_numpy()


ETS_ALPHAS_H = (0.05, 0.2)
ETS_GAMMAS_H = (0.1,)  # one seasonal weight: a 168-hour season is slow to fit


def _hourly_ets(history: HourlyHistory, seed: int, weeks: int = 6) -> Predictor:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    recent = history.series.iloc[-weeks * WEEK_H :].to_numpy()
    model = ExponentialSmoothing(
        recent, seasonal="add", seasonal_periods=WEEK_H, initialization_method="heuristic"
    )
    fits = [
        model.fit(smoothing_level=a, smoothing_seasonal=g, optimized=False)
        for a in ETS_ALPHAS_H
        for g in ETS_GAMMAS_H
    ]
    chosen = min(fits, key=lambda f: float(f"{f.sse:.9g}"))  # ties: the first
    end = history.series.index[-1]

    def predict(x: pd.DataFrame) -> np.ndarray:
        steps = np.asarray((x.index - end) // pd.Timedelta(hours=1), dtype=int)
        return np.asarray(chosen.forecast(int(steps.max())))[steps - 1]

    return predict


def _hourly_ridge(history: HourlyHistory, seed: int) -> Predictor:
    model = Ridge(alpha=1e-3).fit(history.x[LINEAR_H], history.y)
    return lambda x: model.predict(x[LINEAR_H])


def _hourly_xgboost(history: HourlyHistory, seed: int) -> Predictor:
    model = boosted_trees(seed, max_depth=4).fit(history.x, history.y)
    return lambda x: model.predict(x[history.x.columns])


FITTERS_H: dict[str, Callable[[HourlyHistory, int], Predictor]] = {
    "seasonal_naive": _hourly_seasonal_naive,
    "ets": _hourly_ets,
    "ridge": _hourly_ridge,
    "xgboost": _hourly_xgboost,
}


@dataclass(frozen=True)
class HourlySetup:
    horizon: int  # hours from each origin (00:00 of a day)
    origins: int  # daily origins scored, the last ending with the log
    calibration_origins: int
    refit_every: int  # origins between refits of ridge and xgboost (ets: every origin)
    models: list[str]
    levels: list[float]
    served: str
    seed: int
    weather_error_c: tuple[float, float]  # base, per day of lead


def hourly_origins(hours: pd.DatetimeIndex, setup: HourlySetup) -> pd.DatetimeIndex:
    """Daily origins at 00:00, the last one's horizon ending with the log."""
    last = (hours[-1] - pd.Timedelta(hours=setup.horizon - 1)).floor("D")
    count = setup.origins + setup.calibration_origins
    return pd.DatetimeIndex([last - pd.Timedelta(days=i) for i in range(count)][::-1])


HISTORY_H = 53 * WEEK_H  # ridge and xgboost learn from the year before: one of each season


def history_at_hour(
    series: pd.Series, produced: pd.Series, past_temp: pd.Series, origin: pd.Timestamp
) -> HourlyHistory:
    """The series before ``origin`` and the features of its last year's working hours."""
    known = series[series.index < origin]
    start = origin - pd.Timedelta(hours=HISTORY_H + WEEK_H + LEVEL_H)  # features reach back
    recent = known[known.index >= start]
    x = hourly_features(
        recent,
        produced[(produced.index >= start) & (produced.index < origin)],
        past_temp.reindex(recent.index).to_numpy(),
        recent.index,
    )
    keep = working_hours(recent.index) & x.notna().all(axis=1).to_numpy()
    return HourlyHistory(known, x[keep], recent[keep])


def forecast_hours(
    fitted: dict[str, Predictor],
    series: pd.Series,
    produced: pd.Series,
    origin: pd.Timestamp,
    temp_c: np.ndarray,
    setup: HourlySetup,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every model's forecast of the ``horizon`` hours from ``origin`` and its weather
    spread (its change for one degree times the forecast error's sd at the lead)."""
    hours = pd.date_range(origin, periods=setup.horizon, freq="h")
    # the features reach back one week of lag plus the four-week level: no further
    index = pd.date_range(origin - pd.Timedelta(hours=WEEK_H + LEVEL_H), hours[-1], freq="h")
    known = series.where(series.index < origin).reindex(index)
    made = produced.where(produced.index < origin).reindex(index)
    working = working_hours(hours).astype(float)
    lead_days = np.arange(setup.horizon) // 24 + 1
    error_sd = setup.weather_error_c[0] + setup.weather_error_c[1] * lead_days
    frames = tuple(hourly_features(known, made, temp_c + d, hours) for d in (0.0, 1.0, -1.0))
    return spread_and_ensemble(fitted, frames, working, error_sd, setup.models)


def run_hourly_backtest(
    hourly: pd.DataFrame,
    produced: pd.Series,
    weather: dict[str, Any],
    setup: HourlySetup,
    after: pd.Timestamp,
) -> tuple[pd.DataFrame, dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """One row per (series, model, origin, hour) of every origin's forecast, and every
    model's forecast of the ``horizon`` hours from ``after`` (00:00 of the day after the
    log), fitted on the whole log. ``weather`` holds ``train`` (each past hour's
    temperature as forecast a few days before) and ``forecast`` (origin -> the forecast
    temperatures of its ``horizon`` hours)."""
    rows: list[tuple[Any, ...]] = []
    following = {}
    fitted_names = [m for m in setup.models if m != ENSEMBLE]
    for name in hourly.columns:
        series = hourly[name]
        fitted: dict[str, Predictor] = {}
        for i, origin in enumerate(hourly_origins(series.index, setup)):
            refit = [
                m
                for m in fitted_names
                if m not in fitted or m == "ets" or i % setup.refit_every == 0
            ]
            if refit and refit != ["ets"]:  # ETS needs the series alone, not the features
                history = history_at_hour(series, produced, weather["train"], origin)
            else:
                history = HourlyHistory(series[series.index < origin], pd.DataFrame(), pd.Series())
            fitted.update({m: FITTERS_H[m](history, setup.seed) for m in refit})
            predicted = forecast_hours(
                fitted, series, produced, origin, weather["forecast"][origin], setup
            )
            hours = pd.date_range(origin, periods=setup.horizon, freq="h")
            calibration = i < setup.calibration_origins
            actual = series.reindex(hours).to_numpy()
            for model, (values, spread) in predicted.items():
                rows.extend(
                    (name, model, origin, calibration, hour, actual[h], values[h], spread[h])
                    for h, hour in enumerate(hours)
                )
        history = history_at_hour(series, produced, weather["train"], after)
        final = {m: FITTERS_H[m](history, setup.seed) for m in fitted_names}
        temps = weather["forecast"][after]
        following[name] = forecast_hours(final, series, produced, after, temps, setup)
    columns = ["series", "model", "origin", "calibration", "hour"]
    frame = pd.DataFrame(rows, columns=[*columns, "actual", "forecast", "weather_spread"])
    return frame, following
