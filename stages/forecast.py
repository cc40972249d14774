"""forecast stage: the plant's daily series backtested from rolling origins, and next
week's forecast with conformal intervals (co2mix.modeling.backtest); with
``forecast.frequencies`` holding hourly, the hours after the log too, hour by hour
(co2mix.modeling.hourly)."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
from collections.abc import Callable

import numpy as np
import pandas as pd

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import load_params
from co2mix.core.stage import run_stage
from co2mix.modeling.backtest import Backtest, Setup, origins_of, with_intervals
from co2mix.modeling.forecast_report import coverage, next_days, skill
from co2mix.modeling.forecasting import daily_series
from co2mix.modeling.hourly import (
    MODELS_H,
    HourlySetup,
    hourly_origins,
    hourly_series,
    working_hours,
)
from co2mix.modeling.hourly_report import (
    hourly_coverage,
    hourly_intervals,
    hourly_skill,
    next_hours,
)
from co2mix.modeling.series_tasks import (
    Following,
    SeriesTask,
    gathered,
    run_tasks,
    start_backtest_workers,
)
from co2mix.plant_params.root import PlantParams, require_plant
from co2mix.plant_params.sections import Generate
from co2mix.simulate import weather
from co2mix.simulate.expected import (
    climate_c,
    expected_at,
    expected_at_hours,
    hourly_temp_c,
    oracle_and_weather,
    weather_forecasts,
)


def given_forecast(
    params: PlantParams,
    expect: Callable[[Generate, pd.DatetimeIndex, np.ndarray, np.ndarray], pd.DataFrame],
    stamps: pd.DatetimeIndex,
    forecast: np.ndarray,
    lead_days: np.ndarray,
    rate: np.ndarray,
    index: pd.Index,
) -> pd.DataFrame:
    """The forecast floor: ``expect`` (expected_at or expected_at_hours) of ``stamps``
    averaged over their day's temperature given its ``forecast`` at ``lead_days``, one
    row per key of ``index``. Every node is evaluated in one call, node after node."""
    error_sd = weather.forecast_error_sd_c(lead_days, *params.forecast.weather_error_c)
    prior = climate_c(params.generate, stamps.floor("D"))
    nodes, weights = weather.forecast_posterior(prior, forecast, error_sd)
    k = len(weights)
    tiled = pd.DatetimeIndex(np.tile(stamps.to_numpy(), k))
    at_nodes = expect(params.generate, tiled, nodes.ravel(), np.tile(rate, k))
    values = at_nodes.to_numpy().reshape(k, len(index), -1)
    return pd.DataFrame(
        np.tensordot(weights, values, axes=1), index=index, columns=at_nodes.columns
    )


def forecast_floor(
    params: PlantParams, intervals: pd.DataFrame, ahead: dict, oracle: pd.DataFrame
) -> pd.DataFrame:
    """The best forecast of every scored (origin, day) given the weather forecast issued
    then: the expected series averaged over the day's temperature given its forecast."""
    keys = intervals[["origin", "day", "step"]].drop_duplicates()
    forecast = np.array(
        [ahead[o][s - 1] for o, s in zip(keys["origin"], keys["step"], strict=True)]
    )
    days = pd.DatetimeIndex(keys["day"])
    rate = oracle["batches"].reindex(days).to_numpy()
    index = pd.MultiIndex.from_frame(keys[["origin", "day"]])
    return given_forecast(params, expected_at, days, forecast, keys["step"].to_numpy(), rate, index)


def hourly_weather(
    params: PlantParams, oracle: pd.DataFrame, issues: pd.DatetimeIndex, hours: int
) -> dict:
    """The hourly temperatures a forecaster sees: each past hour's as forecast a few
    days before, and each issue's forecast of its ``hours``."""
    error = (params.forecast.weather_error_c[0], params.forecast.weather_error_c[1])
    days = -(-hours // 24)
    past, ahead = weather_forecasts(params.generate, oracle["temp_c"], issues, days, error)
    index = pd.date_range(oracle.index[0], periods=24 * len(oracle.index), freq="h")
    forecast = {}
    for issue in issues:
        span = pd.date_range(issue, periods=hours, freq="h")
        by_day = pd.Series(ahead[issue], pd.date_range(issue, periods=days, freq="D"))
        forecast[issue] = hourly_temp_c(by_day, span)
    train = pd.Series(hourly_temp_c(past, index), index=index)
    return {"train": train, "forecast": forecast, "ahead": ahead}


def hourly_oracles(
    params: PlantParams, rows: pd.DataFrame, oracle: pd.DataFrame, ahead: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The expected hourly series of the backtest's hours at the realized weather (by
    hour), and the forecast floor: the expectation given the weather forecast issued at
    each origin (by origin and hour)."""
    keys = rows[["origin", "hour"]].drop_duplicates()
    hours = pd.DatetimeIndex(keys["hour"])
    day = hours.floor("D")
    rate = oracle["batches"].reindex(day).to_numpy() / 12.0 * working_hours(hours)
    lead = (day - pd.DatetimeIndex(keys["origin"])).days.to_numpy()
    forecast = np.array([ahead[o][d] for o, d in zip(keys["origin"], lead, strict=True)])
    realized = expected_at_hours(
        params.generate, hours, oracle["temp_c"].reindex(day).to_numpy(), rate
    )
    index = pd.MultiIndex.from_frame(keys)
    floor = given_forecast(params, expected_at_hours, hours, forecast, lead + 1, rate, index)
    return realized[~realized.index.duplicated()], floor


def hourly_tasks(params: PlantParams, rows: pd.DataFrame, oracle: pd.DataFrame) -> list[SeriesTask]:
    """The hourly backtest of every series, one task each."""
    settings = params.forecast
    assert params.data.time_column is not None
    index = pd.date_range(oracle.index[0], periods=24 * len(oracle.index), freq="h")
    hourly = hourly_series(rows, params.data.time_column, index)
    setup = HourlySetup(
        settings.horizon_hours,
        settings.hourly_origins,
        settings.hourly_calibration_origins,
        settings.refit_every,
        [m for m in settings.models if m in MODELS_H],
        list(settings.levels),
        settings.served,
        params.generate.seed,
        (settings.weather_error_c[0], settings.weather_error_c[1]),
    )
    after = index[-1] + pd.Timedelta(hours=1)
    issues = hourly_origins(index, setup).append(pd.DatetimeIndex([after]))
    weather = hourly_weather(params, oracle, issues, setup.horizon)
    return [
        SeriesTask(hourly[name], hourly["batches"], weather, setup, after)
        for name in settings.series
    ]


def hourly_record(
    params: PlantParams,
    tasks: list[SeriesTask],
    results: list[tuple[pd.DataFrame, Following]],
    oracle: pd.DataFrame,
) -> tuple[dict, pd.DataFrame]:
    """The hourly backtest's record and its scored rows with intervals (the plots)."""
    setup, after, weather = tasks[0].setup, tasks[0].after, tasks[0].weather
    assert isinstance(setup, HourlySetup)
    backtest, following = gathered(results)
    intervals = hourly_intervals(backtest, setup)
    realized, floor = hourly_oracles(params, backtest, oracle, weather["ahead"])
    record = {
        "horizon_hours": setup.horizon,
        "series": hourly_skill(backtest, intervals, realized, floor),
        "coverage": hourly_coverage(intervals, setup.levels),
        "next_hours": next_hours(
            following, backtest, pd.date_range(after, periods=setup.horizon, freq="h"), setup
        ),
    }
    return record, intervals


def daily_tasks(params: PlantParams, rows: pd.DataFrame, oracle: pd.DataFrame) -> list[SeriesTask]:
    """The daily backtest of every series, one task each."""
    settings, data = params.forecast, params.data
    assert data.time_column is not None  # the plant's params require it
    daily = daily_series(rows, data.time_column, oracle.index)
    error = (settings.weather_error_c[0], settings.weather_error_c[1])
    setup = Setup(
        settings.horizon_days,
        settings.origins,
        settings.calibration_origins,
        settings.refit_every,
        list(settings.models),
        list(settings.levels),
        params.generate.seed,
        error,
        settings.served,
        settings.interval_adapt,
    )
    after = oracle.index[-1] + pd.Timedelta(days=1)
    issues = origins_of(oracle.index, setup).append(pd.DatetimeIndex([after]))
    past, ahead = weather_forecasts(params.generate, oracle["temp_c"], issues, setup.horizon, error)
    weather = {"train": past, "forecast": ahead}
    return [
        SeriesTask(daily[name], daily["batches"], weather, setup, after) for name in settings.series
    ]


def daily_record(
    params: PlantParams,
    tasks: list[SeriesTask],
    results: list[tuple[pd.DataFrame, Following]],
    oracle: pd.DataFrame,
) -> tuple[dict, pd.DataFrame]:
    """The daily backtest's record and its scored rows with intervals (the plots)."""
    setup, after, ahead = tasks[0].setup, tasks[0].after, tasks[0].weather["forecast"]
    assert isinstance(setup, Setup)
    rows, following = gathered(results)
    backtest = Backtest(rows)
    intervals, adapted = with_intervals(backtest, setup)
    days = pd.date_range(after, periods=setup.horizon, freq="D")
    metrics = {
        "scenario": params.generate.current.scenario,
        "weather_error_c": list(setup.weather_error_c),
        "series": skill(
            backtest, intervals, oracle, forecast_floor(params, intervals, ahead, oracle)
        ),
        "coverage": coverage(intervals, setup.levels),
        "interval_levels": {series: levels.record() for series, levels in adapted.items()},
        "served": params.forecast.served,
        "next_days": next_days(following, backtest, days, setup, adapted),
    }
    plot = intervals[~intervals["calibration"]].drop(columns=["calibration"])
    plot = plot.assign(
        day=plot["day"].dt.date.astype(str), origin=plot["origin"].dt.date.astype(str)
    )
    return metrics, plot


def hourly_tables(plot: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The day-ahead hours of each origin's forecast by series: one per hour on a chart."""
    day_ahead = plot["hour"] < plot["origin"] + pd.Timedelta(days=1)
    plot = plot[day_ahead].drop(columns=["calibration"])
    plot = plot.assign(
        hour=plot["hour"].dt.strftime("%Y-%m-%dT%H:00"),
        origin=plot["origin"].dt.date.astype(str),
    )
    return {f"hourly-{series}.csv": table for series, table in plot.groupby("series", sort=False)}


def main() -> None:
    params = require_plant(load_params(), "forecast")
    start_backtest_workers(params.forecast.n_jobs)
    rows = pd.concat(
        [
            read_checked(paths.TRAIN, params, "prepare"),
            read_checked(paths.TEST, params, "prepare"),
            read_checked(paths.FRESH, params, "prepare", min_rows=0),
        ]
    ).drop_duplicates(subset=params.data.id_column)
    oracle = oracle_and_weather(params.generate)
    daily = daily_tasks(params, rows, oracle)  # first: the slowest (the MLP fits)
    hourly = hourly_tasks(params, rows, oracle) if "hourly" in params.forecast.frequencies else []
    results = run_tasks(daily + hourly, params.forecast.n_jobs)
    metrics, plot = daily_record(params, daily, results[: len(daily)], oracle)
    tables = {f"{series}.csv": table for series, table in plot.groupby("series", sort=False)}
    if hourly:
        metrics["hourly"], hourly_plot = hourly_record(
            params, hourly, results[len(daily) :], oracle
        )
        tables.update(hourly_tables(hourly_plot))
    with staged_outputs() as out:
        records.write(out, paths.FORECAST_METRICS, metrics)
        for name, table in tables.items():
            table = table.drop(columns=["series"]).round(4)
            records.write_table(out, paths.FORECAST_PLOTS / name, table)


if __name__ == "__main__":
    run_stage("forecast", main)
