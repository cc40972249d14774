"""forecast stage: the plant's daily series backtested from rolling origins, and next
week's forecast with conformal intervals (co2mix.modeling.backtest)."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
import numpy as np
import pandas as pd

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs
from co2mix.core.params import PlantParams
from co2mix.core.params_file import load_params, plant_params
from co2mix.core.stage import run_stage
from co2mix.modeling.backtest import Setup, origins_of, run_backtest, with_intervals
from co2mix.modeling.forecast_report import coverage, next_days, skill
from co2mix.modeling.forecasting import daily_series
from co2mix.simulate.expected import expected_at, oracle_and_weather, weather_forecasts


def weather_oracle(
    params: PlantParams, intervals: pd.DataFrame, ahead: dict, oracle: pd.DataFrame
) -> pd.DataFrame:
    """The expected series of every scored (origin, day) at the weather forecast then."""
    keys = intervals[["origin", "day", "step"]].drop_duplicates()
    temps = [ahead[o][s - 1] for o, s in zip(keys["origin"], keys["step"], strict=True)]
    days = pd.DatetimeIndex(keys["day"])
    expected = expected_at(
        params.generate, days, np.array(temps), oracle["batches"].reindex(days).to_numpy()
    )
    return expected.set_index(pd.MultiIndex.from_frame(keys[["origin", "day"]]))


def main() -> None:
    params = plant_params(load_params(), "forecast")
    settings, data = params.forecast, params.data
    assert data.time_column is not None  # the plant's params require it
    rows = pd.concat(
        [
            read_checked(paths.TRAIN, params, "prepare"),
            read_checked(paths.TEST, params, "prepare"),
            read_checked(paths.FRESH, params, "prepare", min_rows=0),
        ]
    ).drop_duplicates(subset=data.id_column)
    oracle = oracle_and_weather(params.generate)
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
    )
    after = oracle.index[-1] + pd.Timedelta(days=1)
    issues = origins_of(oracle.index, setup).append(pd.DatetimeIndex([after]))
    past, ahead = weather_forecasts(params.generate, oracle["temp_c"], issues, setup.horizon, error)
    weather = {"train": past, "forecast": ahead}
    backtest, following = run_backtest(
        daily[settings.series], daily["batches"], weather, setup, after
    )
    intervals = with_intervals(backtest, setup)
    days = pd.date_range(after, periods=setup.horizon, freq="D")
    metrics = {
        "scenario": params.generate.current.scenario,
        "weather_error_c": list(error),
        "series": skill(
            backtest, intervals, oracle, weather_oracle(params, intervals, ahead, oracle)
        ),
        "coverage": coverage(intervals, setup.levels),
        "served": settings.served,
        "next_days": next_days(following, backtest, days, setup),
    }
    plot = intervals[~intervals["calibration"]].drop(columns=["calibration"])
    plot = plot.assign(
        day=plot["day"].dt.date.astype(str), origin=plot["origin"].dt.date.astype(str)
    )
    with staged_outputs() as out:
        records.write(out, paths.FORECAST_METRICS, metrics)
        for series, table in plot.groupby("series", sort=False):
            table = table.drop(columns=["series"]).round(4)
            records.write_table(out, paths.FORECAST_PLOTS / f"{series}.csv", table)


if __name__ == "__main__":
    run_stage("forecast", main)
