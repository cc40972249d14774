"""Retraining on fresh data: the time split, the refit, the policy, the decision."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import root_mean_squared_error

from co2mix.core.params import Refresh
from co2mix.modeling.refresh import (
    WEIGHT,
    Evidence,
    TargetData,
    decide,
    published_rows,
    refit_rows,
    refresh_target,
    split_fresh,
)
from tests.helpers import stale_strength_model

TARGET = "strength_mpa"


def policy(retrain, threshold=1.15):
    return Refresh(
        retrain=retrain,
        degradation_threshold=threshold,
        holdout_fraction=0.5,
        recent_share=0.95,
        min_rows=50,
        interval_level=0.9,
    )


@pytest.mark.parametrize(
    ("retrain", "drift", "degradation", "publish"),
    [
        ("never", True, 3.0, False),
        ("always", False, 1.0, True),
        ("on_drift", True, 1.0, True),
        ("on_drift", False, 3.0, False),
        ("on_drift", None, 3.0, False),
        ("on_degradation", False, 1.2, True),
        ("on_degradation", True, 1.1, False),
        ("on_degradation", True, None, False),
    ],
)
def test_the_policy_decides_from_what_is_known_before_the_latest_rows(
    retrain, drift, degradation, publish
):
    decision, reason = decide(policy(retrain), Evidence(drift, degradation))
    assert decision is publish
    assert reason  # every decision says why


def test_the_fresh_rows_split_by_time_and_the_adaptation_rows_weigh_more():
    fresh = pd.DataFrame({"t": pd.to_datetime(["2025-03", "2025-01", "2025-04", "2025-02"])})
    adaptation, latest = split_fresh(fresh, "t", 0.5)
    assert adaptation["t"].max() < latest["t"].min()
    assert (len(adaptation), len(latest)) == (2, 2)
    rows = refit_rows(pd.DataFrame({"t": [0, 1, 2]}), adaptation, "t", 0.75)
    assert rows[WEIGHT].tolist() == [1.0, 1.0, 1.0, 4.5, 4.5]  # 9 of 12: three quarters


def refreshed_verdict(make_all_params, scenario, retrain="on_degradation"):
    params, prepared, pipeline = stale_strength_model(
        make_all_params, scenario, **{"refresh.retrain": retrain}
    )
    features = params.train.features[TARGET]
    test_rmse = root_mean_squared_error(
        prepared.test[TARGET], pipeline.predict(prepared.test[features])
    )
    task = TargetData(TARGET, features, 2.5, "poly2", test_rmse)
    parts = split_fresh(prepared.fresh, "produced_at", params.refresh.holdout_fraction)
    record, published = refresh_target(
        task, {"poly2": pipeline}, prepared.train, parts, params.refresh, drift_detected=None
    )
    return record, published["poly2"] is pipeline, params, prepared


def test_a_weaker_cement_is_relearnt_and_the_refreshed_models_are_published(make_all_params):
    record, kept, params, prepared = refreshed_verdict(make_all_params, "supplier")
    assert record["decision"] == "refreshed" and not kept
    assert record["degradation_on_adaptation"] > params.refresh.degradation_threshold
    old, new = record["reference"], record["refreshed"]
    assert old["bias"] < -1.5  # the reference model over-predicts this month's concrete
    assert abs(new["bias"]) < 0.6
    assert new["rmse"] < 0.85 * old["rmse"]
    # the interval is the published (refreshed) champion's, calibrated and measured on
    # the two halves of the latest rows
    band = record["interval"]
    assert band["calibration_rows"] + band["evaluation_rows"] == record["latest_rows"]
    assert abs(band["coverage"] - 0.9) < 0.08
    assert band["half_width"] < 1.645 * old["rmse"]  # the stale model's errors are wider
    # what a downstream refit learns from: the reference rows plus the weighted adaptation
    rows = published_rows(params, prepared.train, prepared.fresh, {TARGET: record})
    assert len(rows[TARGET]) == len(prepared.train) + record["adaptation_rows"]
    assert rows["co2_kg_m3"] is prepared.train  # no record: the reference rows


def test_without_drift_nothing_is_retrained_and_both_agree_within_noise(make_all_params):
    record, kept, _, _ = refreshed_verdict(make_all_params, "none")
    assert record["decision"] == "reference" and kept
    assert record["degradation_on_adaptation"] < 1.15
    assert record["refreshed"]["rmse"] == pytest.approx(record["reference"]["rmse"], rel=0.05)


def test_never_keeps_the_reference_models_even_when_they_are_stale(make_all_params):
    record, kept, _, _ = refreshed_verdict(make_all_params, "supplier", retrain="never")
    assert record["decision"] == "reference" and kept
    assert record["refreshed"]["rmse"] < record["reference"]["rmse"]  # still measured
