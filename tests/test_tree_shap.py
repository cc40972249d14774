"""Exact TreeSHAP by look-up (co2mix.modeling.tree_shap) against XGBoost's own
``pred_contribs``: the same values (float32 summation aside), on random rows and on rows
sitting exactly on split thresholds, where a wrong side would show."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from co2mix.modeling.explain import Explainer
from co2mix.modeling.tree_shap import TableTreeShap


@pytest.fixture(scope="module")
def booster() -> xgboost.Booster:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 6))
    x[:, 5] = rng.integers(0, 3, 3000)  # a coded category: few distinct thresholds
    y = 3 * x[:, 0] - x[:, 1] ** 2 + np.sin(2 * x[:, 2]) * x[:, 3] + x[:, 5] + rng.normal(size=3000)
    model = xgboost.XGBRegressor(n_estimators=80, max_depth=4, learning_rate=0.2, n_jobs=1)
    return model.fit(x, y).get_booster()


def thresholds(booster: xgboost.Booster) -> dict[int, list[float]]:
    model = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]
    found: dict[int, list[float]] = {}
    for tree in model["trees"]:
        for left, feature, value in zip(
            tree["left_children"], tree["split_indices"], tree["split_conditions"], strict=True
        ):
            if left != -1:
                found.setdefault(feature, []).append(value)
    return found


def test_looked_up_contributions_equal_xgboost_s_tree_shap(booster):
    table = TableTreeShap.build(booster)
    assert table is not None
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, 6))
    rows[:, 5] = rng.integers(0, 3, 400)
    on_split = rows[:60].copy()  # rows exactly on thresholds: x >= t goes right
    for i, (feature, values) in enumerate(sorted(thresholds(booster).items()) * 10):
        on_split[i % 60, feature] = np.float32(values[i % len(values)])
    for x in (rows, on_split):
        expected = booster.predict(xgboost.DMatrix(x), pred_contribs=True)
        np.testing.assert_allclose(table(x), expected, atol=2e-5)


def test_a_table_too_big_is_not_built_and_missing_values_are_refused(booster):
    assert TableTreeShap.build(booster, max_cells=10) is None
    with pytest.raises(ValueError, match="missing value"):
        TableTreeShap.build(booster)(np.full((1, 6), np.nan))


def test_the_explainer_answers_from_the_table_once_built_with_the_same_values():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.normal(size=(800, 4)), columns=list("abcd"))
    y = x["a"] * x["b"] + x["c"] + rng.normal(size=800)
    prep = ColumnTransformer(
        [("numeric", "passthrough", list("abcd"))], verbose_feature_names_out=False
    )
    model = xgboost.XGBRegressor(n_estimators=40, max_depth=3, n_jobs=1)
    pipeline = Pipeline([("prep", prep), ("model", model)]).fit(x, y)
    looked_up = Explainer(pipeline, lookup=True)
    assert looked_up.method(timeout=60) == "lookup"
    computed = Explainer(pipeline)
    assert computed.method() == "tree_shap"
    prepared = prep.transform(x.head(50))
    for a, b in zip(looked_up(prepared), computed(prepared), strict=True):
        np.testing.assert_allclose(a, b, atol=2e-5)
