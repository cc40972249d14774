"""The forecast stage's record: metrics/forecast.json (validated by
:mod:`co2mix.core.records` like every record of :mod:`co2mix.core.schemas`)."""

from __future__ import annotations

# pydantic validates TypedDicts only from typing_extensions on Python < 3.12
from typing import NotRequired

from typing_extensions import TypedDict


class ForecastScore(TypedDict):
    """One model's backtest on the scored origins' working days."""

    mase: float  # mean absolute error over seasonal naive's
    rmse: float
    bias: float  # mean of forecast - actual
    rmse_vs_oracle: float  # its RMSE over the oracle's: 1.0 is the best possible


class ServedScore(ForecastScore):
    """The served model's (forecast.served), with its ratio to both floors."""

    rmse_vs_forecast_floor: float  # over the best forecast given the weather forecast


class SeriesSkill(TypedDict):
    served: ServedScore
    oracle_rmse: float  # the expected series at the realized weather, against the actual
    forecast_floor_rmse: float  # the expectation given the weather forecast (its posterior)
    scored_days: int
    models: dict[str, ForecastScore]


class HourlySkill(TypedDict):
    served: ServedScore
    oracle_rmse: float  # the expected hourly series at the realized weather
    forecast_floor_rmse: float  # given the weather forecast
    scored_hours: int  # working hours of the scored origins
    models: dict[str, ForecastScore]


class HourlyForecast(TypedDict):
    """The hour-by-hour backtest (forecast.frequencies holds hourly)."""

    horizon_hours: int
    series: dict[str, HourlySkill]
    coverage: dict[str, dict[str, float]]  # series -> level (%) -> share of working hours
    next_hours: dict[str, list[dict[str, float | str]]]  # the hours after the log


class ForecastMetrics(TypedDict):
    scenario: str
    weather_error_c: list[float]  # the weather forecast's error sd: base, per day of lead
    series: dict[str, SeriesSkill]
    coverage: dict[str, dict[str, float]]  # series -> level (%) -> share inside
    interval_levels: dict[str, dict[str, float]]  # series -> level (%) -> level adapted to
    served: str  # the model the plant is given (forecast.served)
    next_days: dict[str, list[dict[str, float | str]]]  # its forecast of the days after the log
    hourly: NotRequired[HourlyForecast]
