"""The models judged on fresh data: the current batch's rows no model trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.modeling.evaluate import Task, evaluate_target
from co2mix.modeling.fresh_error import fresh_scores, weekly_error
from tests.helpers import stale_strength_model

TARGET = "strength_mpa"


def test_bias_is_actual_minus_predicted_and_degradation_is_the_rmse_ratio():
    actual = pd.Series([10.0, 20.0, 30.0, 40.0])
    scores = fresh_scores(actual, actual.to_numpy() + 2.0, sigma=1.0, test_rmse=1.0)
    assert scores["bias"] == pytest.approx(-2.0)  # over-predicting: negative
    assert scores["rmse"] == scores["mae"] == pytest.approx(2.0)
    assert scores["degradation"] == pytest.approx(2.0)
    assert scores["rmse_over_sigma"] == pytest.approx(2.0)
    assert scores["rows"] == 4
    assert "rmse_over_sigma" not in fresh_scores(actual, actual.to_numpy(), None, 1.0)


def test_weekly_error_follows_production_time():
    times = pd.Series(pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-09", "2025-01-20"]))
    actual = pd.Series([1.0, 1.0, 1.0, 1.0])
    weekly = weekly_error(times, actual, np.array([0.0, 2.0, 4.0, 1.0]))
    assert weekly["week"].tolist() == [0, 1, 2]
    assert weekly["rows"].tolist() == [2, 1, 1]
    assert weekly["bias"].tolist() == [0.0, -3.0, 0.0]
    assert weekly["rmse"].tolist() == [1.0, 3.0, 0.0]


def fresh_verdict(make_all_params, scenario):
    """A strength model trained on the reference, judged on its test rows and the fresh
    current batch of ``scenario``."""
    params, prepared, pipeline = stale_strength_model(make_all_params, scenario)
    features = params.train.features[TARGET]
    task = Task(TARGET, features, ["cement_supplier"], 2.5, "batch_id", "produced_at")
    result = evaluate_target(
        task, {"poly2": pipeline}, prepared.test, prepared.fresh, params.evaluate
    )
    return result.metrics["models"]["poly2"], result.fresh_error


@pytest.mark.parametrize(("scenario", "over_predicts"), [("none", False), ("supplier", True)])
def test_fresh_rows_show_a_weaker_cement_that_the_test_split_cannot(
    make_all_params, scenario, over_predicts
):
    scores, weekly = fresh_verdict(make_all_params, scenario)
    fresh = scores["fresh"]
    assert fresh["rows"] > 1500
    assert scores["rmse_over_sigma"] < 1.6  # the test split looks the same either way
    if over_predicts:  # the main supplier's cement is 12 % weaker: about -4 MPa on its mixes
        assert fresh["bias"] < -1.5
        assert fresh["degradation"] > 1.2
    else:
        assert abs(fresh["bias"]) < 0.5
        assert fresh["degradation"] < 1.1
    assert weekly["rows"].sum() == fresh["rows"]
    assert (weekly["bias"] < 0).mean() > (0.8 if over_predicts else 0.0)
