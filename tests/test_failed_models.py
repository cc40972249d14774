"""A model that fails (predictions that are not finite, or worse than the mean) is
reported with the reason, never champion, never published; a log-target model cannot
overflow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from co2mix.modeling.evaluate import Task, evaluate_target, failure_reason
from co2mix.modeling.registry import LOG_TARGET_MARGIN, BoundedLogTarget, fit_with_validation
from co2mix.reporting.sections import champions_section


class Constant(BaseEstimator, RegressorMixin):
    """Predicts ``value`` everywhere (inf, a NaN, or a number far off)."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def fit(self, x, y, sample_weight=None):
        return self

    def predict(self, x):
        return np.full(len(x), self.value)


def pipeline(model) -> Pipeline:
    prep = ColumnTransformer([("numeric", "passthrough", ["x"])], verbose_feature_names_out=False)
    return Pipeline([("prep", prep), ("model", model)])


@pytest.fixture
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 200)
    return pd.DataFrame(
        {
            "id": np.arange(200),
            "at": pd.date_range("2025-01-01", periods=200, freq="h"),
            "x": x,
            "y": 3 * x + rng.normal(0, 1, 200),
        }
    )


def test_a_log_target_prediction_stays_within_the_widened_training_range():
    x = np.linspace(1, 5, 50)[:, None]
    y = np.exp(x[:, 0])  # log y in [1, 5]: width 4
    model = BoundedLogTarget(LinearRegression()).fit(x, y)
    far = model.predict(np.array([[1e6], [-1e6], [3.0]]))
    assert np.isfinite(far).all()
    assert far[0] == pytest.approx(np.exp(5 + LOG_TARGET_MARGIN * 4))
    assert far[1] == pytest.approx(np.exp(1 - LOG_TARGET_MARGIN * 4))
    assert far[2] == pytest.approx(np.exp(3.0))  # inside the range: untouched


def test_failure_reasons_name_what_is_wrong():
    y = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert failure_reason(y, np.array([1.1, 2.0, 2.9, 4.0])) is None
    assert "2 of 4 test rows are not finite" in failure_reason(
        y, np.array([np.inf, 2.0, np.nan, 4.0])
    )
    assert "worse than predicting the mean" in failure_reason(y, np.array([9.0, 9, 9, 9]))


def test_evaluate_reports_failed_models_and_never_crowns_them(make_all_params, rows):
    task = Task("y", ["x"], [], None, "id", "at")
    test, fresh = rows.iloc[:100], rows.iloc[100:]
    pipelines = {
        name: pipeline(model).fit(rows[["x"]], rows["y"])
        for name, model in {
            "good": LinearRegression(),
            "infinite": Constant(np.inf),
            "constant": Constant(1000.0),
        }.items()
    }
    result = evaluate_target(task, pipelines, test, fresh, make_all_params().evaluate)
    assert result.champion == "good"
    assert set(result.metrics["models"]) == {"good"}
    failed = result.metrics["failed"]
    assert "not finite" in failed["infinite"]
    assert "worse than predicting the mean" in failed["constant"]
    assert result.explanations["infinite"] == {"unsupported": f"failed: {failed['infinite']}"}
    report = "\n".join(champions_section(None, {"y": result.metrics}))
    assert "**failed**, not published: y infinite" in report


def test_a_model_with_non_finite_validation_predictions_is_reported_not_raised(
    make_all_params, rows
):
    from co2mix.modeling.train import fit_spec

    params = make_all_params()
    spec = fit_spec(params, "strength_mpa", "linear")
    fitted = fit_with_validation(spec, pipeline(Constant(np.nan)), rows[["x"]], rows["y"])
    assert fitted.info["validation_rmse"] is None
    assert "validation rows are not finite" in fitted.info["failed"]
