"""The forecast's intervals and its floor (issue 28): adaptive conformal moves each
level by the misses the way MAPIE's ACI does, is split conformal at step 0, and brings
coverage back after the residuals grow; the forecast floor is the expectation given
the weather forecast."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from mapie.regression import TimeSeriesRegressor
from sklearn.dummy import DummyRegressor

from co2mix.modeling.adaptive_conformal import AdaptiveLevels
from co2mix.modeling.backtest import Backtest, Setup, conformal_bounds, scale, with_intervals
from co2mix.simulate import weather


def one_day(actual: float) -> pd.DataFrame:
    """A block of one working day whose 50 % and 80 % intervals are [-1, 1]."""
    return pd.DataFrame({"actual": [actual], "lo50": -1.0, "hi50": 1.0, "lo80": -1.0, "hi80": 1.0})


def test_each_level_moves_as_mapies_adaptive_conformal_inference():
    rng = np.random.default_rng(3)
    missed = rng.random(40) < 0.3
    outcomes = np.where(missed, 100.0, 0.0)  # far outside, or at the centre, of both
    x = np.zeros((500, 1))
    predictor = DummyRegressor(strategy="constant", constant=0.0).fit(x, np.zeros(500))
    mapie = TimeSeriesRegressor(predictor, method="aci", cv="prefit").fit(x, rng.normal(size=500))
    ours = AdaptiveLevels.start([0.5, 0.8], step=0.02)
    for y in outcomes:
        mapie.adapt_conformal_inference(
            np.zeros((1, 1)), np.array([y]), gamma=0.02, confidence_level=[0.5, 0.8]
        )
        ours.learn(one_day(y))
        theirs = {round(1 - alpha, 9): a for alpha, a in mapie.current_alpha.items()}
        assert min(theirs.values()) > 0.0  # where MAPIE's interval is infinite, ours is not
        for level, alpha in ours.alphas.items():
            assert alpha == pytest.approx(theirs[round(level, 9)], abs=1e-12)
    assert ours.alphas[0.8] < 0.2  # 30 % missed against 20 % asked: the level rose


def synthetic_backtest(sd_after: float, origins: int = 30, seed: int = 0) -> pd.DataFrame:
    """Weekly origins of a served forecast of 10 with seven days each; the actual's
    noise has sd 1 until the middle origin, ``sd_after`` from there."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-02")
    rows = []
    for i in range(origins):
        origin = start + pd.Timedelta(days=7 * i)
        sd = 1.0 if i < origins // 2 else sd_after
        for step in range(1, 8):
            day = origin + pd.Timedelta(days=step - 1)
            actual = 10.0 + rng.normal(0.0, sd) if day.dayofweek < 6 else 0.0
            forecast = 10.0 if day.dayofweek < 6 else 0.0
            rows.append(("s", "ensemble", origin, i < 8, step, day, actual, forecast, 0.0))
    columns = ["series", "model", "origin", "calibration", "step", "day", "actual"]
    return pd.DataFrame(rows, columns=[*columns, "forecast", "weather_spread"])


SETUP = Setup(7, 22, 8, 4, ["seasonal_naive", "ensemble"], [0.8, 0.95], 0)


def test_step_zero_is_split_conformal_on_every_earlier_origin():
    rows = synthetic_backtest(sd_after=1.0)
    intervals, _ = with_intervals(Backtest(rows), dataclasses.replace(SETUP, adapt=0.0))
    origin = intervals["origin"].max()
    earlier = rows[(rows["origin"] < origin) & (rows["day"].dt.dayofweek < 6)]
    residuals = (earlier["actual"] - earlier["forecast"]) / scale(earlier, earlier)
    lo, hi = conformal_bounds(residuals.to_numpy(), 0.8)
    last = intervals[(intervals["origin"] == origin) & (intervals["day"].dt.dayofweek < 6)]
    width = scale(last, earlier)
    assert np.allclose(last["lo80"], last["forecast"] + lo * width, rtol=0, atol=1e-12)
    assert np.allclose(last["hi80"], last["forecast"] + hi * width, rtol=0, atol=1e-12)


def coverage_after_the_shift(adapt: float, seed: int) -> tuple[float, float]:
    rows = synthetic_backtest(sd_after=2.5, seed=seed)
    intervals, adapted = with_intervals(Backtest(rows), dataclasses.replace(SETUP, adapt=adapt))
    later = intervals[(intervals["origin"] >= rows["origin"].unique()[15])]
    later = later[later["day"].dt.dayofweek < 6]
    inside = (later["actual"] >= later["lo80"]) & (later["actual"] <= later["hi80"])
    return float(inside.mean()), adapted["s"].record()["80"]


def test_after_the_residuals_grow_adapting_brings_coverage_back():
    split = [coverage_after_the_shift(0.0, seed)[0] for seed in range(5)]
    adaptive = [coverage_after_the_shift(0.2, seed) for seed in range(5)]
    # split conformal keeps the narrow residuals of the calm origins: well under 80 %
    assert np.mean(split) < 0.72, split
    assert abs(np.mean([c for c, _ in adaptive]) - 0.8) < abs(np.mean(split) - 0.8)
    assert np.mean([c for c, _ in adaptive]) > 0.70, adaptive
    assert all(level > 0.8 for _, level in adaptive)  # it aims higher than it is asked


def test_the_forecast_floor_is_the_expectation_given_the_weather_forecast():
    rng = np.random.default_rng(11)
    climate, error_sd, forecast = 6.0, 1.5, 3.0
    temp = climate + rng.normal(0.0, weather.DAILY_ANOMALY_SD_C, 4_000_000)
    issued = temp + rng.normal(0.0, error_sd, temp.size)
    near = np.abs(issued - forecast) < 0.02  # the days whose forecast said 3.0 deg C
    heating = np.maximum(8.0 - temp, 0.0)  # a hinge, as the plant heats below 8 deg C
    nodes, weights = weather.forecast_posterior(
        np.array([climate]), np.array([forecast]), np.array([error_sd])
    )
    assert weights.sum() == pytest.approx(1.0)
    expected = float(weights @ np.maximum(8.0 - nodes[:, 0], 0.0))
    assert expected == pytest.approx(heating[near].mean(), abs=0.03)
    # shrunk toward the season: neither the forecast plugged in nor the climate
    assert float(weights @ nodes[:, 0]) == pytest.approx(temp[near].mean(), abs=0.03)
    assert abs(expected - (8.0 - forecast)) > 0.3
