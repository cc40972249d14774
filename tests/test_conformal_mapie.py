"""Our split-conformal intervals against MAPIE's implementation of the same method
(MAPIE 1.6, a test dependency): the refresh stage's symmetric half-width and the
forecast's two-sided bounds on scaled residuals must be the very same order statistics.

A prefit constant predictor makes MAPIE's conformity scores our residuals: with
``absolute`` the score is |y - 0|; with ``gamma`` (asymmetric: separate lower and upper
quantiles) it is (y - C) / C, so y = C + r gives r / C and the interval maps back to
C + C x [lower, upper] quantile."""

from __future__ import annotations

import numpy as np
import pytest
from mapie.regression import SplitConformalRegressor
from sklearn.dummy import DummyRegressor

from co2mix.modeling.backtest import conformal_bounds
from co2mix.modeling.conformal import half_width

SHIFT = 1000.0  # keeps every y positive, which the gamma score needs


def mapie_interval(residuals: np.ndarray, level: float, score: str, at: float) -> np.ndarray:
    x = np.zeros((len(residuals), 1))
    predictor = DummyRegressor(strategy="constant", constant=at).fit(x, np.full(len(x), at))
    conformal = SplitConformalRegressor(
        predictor, confidence_level=level, conformity_score=score, prefit=True
    )
    conformal.conformalize(x, at + residuals)
    _, interval = conformal.predict_interval(np.zeros((1, 1)))
    return interval[0, :, 0] - at


@pytest.mark.parametrize("n", [60, 101, 250])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_the_refresh_half_width_is_mapies_absolute_score_interval(n, level):
    residuals = np.random.default_rng(n).standard_t(df=4, size=n) * 2.5
    low, high = mapie_interval(residuals, level, "absolute", at=0.0)
    assert high == pytest.approx(half_width(np.abs(residuals), level), rel=1e-12)
    assert low == pytest.approx(-high, rel=1e-12)


@pytest.mark.parametrize("n", [60, 101, 250])
@pytest.mark.parametrize("level", [0.8, 0.95])
def test_the_forecast_bounds_are_mapies_asymmetric_gamma_score_interval(n, level):
    # skewed residuals (a cold week errs upwards more than down): the two bounds differ
    rng = np.random.default_rng(100 + n)
    residuals = rng.gamma(2.0, 1.0, size=n) - 2.0
    low, high = mapie_interval(residuals, level, "gamma", at=SHIFT)
    ours = conformal_bounds(residuals, level)
    assert low == pytest.approx(ours[0], rel=1e-9, abs=1e-9)
    assert high == pytest.approx(ours[1], rel=1e-9, abs=1e-9)
    assert abs(low) != pytest.approx(abs(high), rel=1e-3)  # really asymmetric


def test_too_few_residuals_both_refuse_a_short_interval():
    residuals = np.linspace(-1.0, 1.0, 15)  # 15 < 1 / (1 - 0.95)
    assert conformal_bounds(residuals, 0.95) == (-np.inf, np.inf)
    with pytest.raises(ValueError, match="too low"):
        mapie_interval(residuals, 0.95, "absolute", at=0.0)
