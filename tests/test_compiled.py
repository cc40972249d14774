"""Compiled surrogates equal the fitted pipelines they replace, on random in-bounds mixes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.modeling.train import train_one
from co2mix.optimize.compiled import NotCompilable, compile_pipeline
from co2mix.optimize.plant_space import candidate_columns
from co2mix.optimize.surrogates import Members, monotone_refit, pipeline_model
from co2mix.physics.truth import CO2, STRENGTH
from co2mix.simulate.dataset import generate

SMALL_SEARCH = {
    "train.xgboost.n_trials": 2,
    "train.xgboost.max_estimators": 80,
    "train.xgboost.early_stopping_rounds": 5,
}


@pytest.fixture(scope="module")
def params(make_all_params):
    return make_all_params(
        **SMALL_SEARCH, **{"generate.reference.rows": 3000, "generate.current.rows": 500}
    )


@pytest.fixture(scope="module")
def pipelines(params):
    train = generate(params.generate, params.data).reference.dropna()
    fitted = {
        (target, model): train_one(params, train, target, model, "train").fitted.pipeline
        for target in (CO2, STRENGTH)
        for model in ("linear", "poly2", "xgboost")
    }
    return fitted, train


@pytest.fixture(scope="module")
def candidates(params):
    """Random mixes inside optimize.bounds, with the context's derived features."""
    low, high = np.array(list(params.optimize.bounds.values())).T
    x = low + (high - low) * np.random.default_rng(7).random((500, len(low)))
    return candidate_columns(x, params)


@pytest.mark.parametrize("target", [CO2, STRENGTH])
@pytest.mark.parametrize(
    ("model", "tolerance"), [("linear", 1e-9), ("poly2", 1e-9), ("xgboost", 1e-5)]
)
def test_compiled_pipeline_equals_its_predict(pipelines, candidates, target, model, tolerance):
    pipeline = pipelines[0][(target, model)]
    compiled = compile_pipeline(pipeline)(candidates)
    expected = pipeline_model(pipeline)(candidates)
    assert compiled.shape == expected.shape == (500,)
    np.testing.assert_allclose(compiled, expected, rtol=0, atol=tolerance)
    assert np.ptp(expected) > 1.0  # the mixes really differ


def test_an_unseen_category_is_refused_naming_it_compiled_or_not(pipelines, candidates):
    pipeline = pipelines[0][(STRENGTH, "linear")]
    unknown = dict(candidates, cement_supplier=np.full(500, "Z", dtype=object))
    message = "column 'cement_supplier': unknown category 'Z'; the model knows"
    with pytest.raises(ValueError, match=message):
        pipeline.predict(pd.DataFrame(unknown)[pipeline[0].feature_names_in_])
    with pytest.raises(ValueError, match=message):
        compile_pipeline(pipeline)(unknown)


def test_remedies_compile_too(params, pipelines, candidates):
    fitted, train = pipelines
    monotone = {
        target: monotone_refit(fitted[(target, "xgboost")], {"water": -1}, train, target, 1)
        for target in (CO2, STRENGTH)
    }
    for members in (
        Members([monotone[CO2]], [monotone[STRENGTH]]),
        Members(
            [fitted[(CO2, m)] for m in ("linear", "poly2", "xgboost")],
            [fitted[(STRENGTH, m)] for m in ("linear", "poly2", "xgboost")],
            penalty_std=1.0,
        ),
    ):
        fast, slow = members.compiled()(candidates), members.through_pipelines()(candidates)
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_step_without_an_array_form_is_refused_by_name(pipelines):
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import Pipeline

    linear = pipelines[0][(CO2, "linear")]
    knn = Pipeline([("prep", linear[0]), ("model", KNeighborsRegressor())])
    with pytest.raises(NotCompilable, match="KNeighborsRegressor"):
        compile_pipeline(knn)
