"""Split-conformal intervals: the half-width is the right order statistic, and the
interval covers about its level on exchangeable rows it was not calibrated on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from co2mix.modeling.conformal import calibrate, half_width


def test_half_width_is_the_ceil_n_plus_one_level_order_statistic():
    errors = np.arange(1.0, 20.0)  # 19 errors: rank ceil(20 x 0.9) = 18 -> the value 18
    assert half_width(errors, 0.9) == 18.0
    assert half_width(errors[::-1].copy(), 0.5) == 10.0  # order of the input does not matter


def test_too_few_calibration_rows_give_an_infinite_interval_not_a_short_one():
    assert half_width(np.array([0.1, 0.2, 0.3]), 0.9) == math.inf  # rank 4 of 3
    assert half_width(np.array([]), 0.5) == math.inf


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_coverage_on_later_rows_is_close_to_the_level(level):
    rng = np.random.default_rng(7)
    actual = pd.Series(rng.standard_t(df=5, size=20_000) * 3.0)  # heavy tails
    record = calibrate(actual, np.zeros(len(actual)), level)
    assert record["calibration_rows"] == record["evaluation_rows"] == 10_000
    assert abs(record["coverage"] - level) < 0.015
    assert record["half_width"] > 0


def test_a_shifted_later_half_shows_up_as_under_coverage():
    """Calibrated on a period the model fits, measured on one it does not: the figure
    must say so rather than repeat the nominal level."""
    rng = np.random.default_rng(3)
    earlier, later = rng.normal(0, 1, 5000), rng.normal(2.0, 1, 5000)
    record = calibrate(pd.Series(np.r_[earlier, later]), np.zeros(10_000), 0.9)
    assert record["coverage"] < 0.6
