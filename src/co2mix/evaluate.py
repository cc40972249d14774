"""Evaluation of every trained model on the test set, the champion per target, explanations.

Metrics per target and model: RMSE, MAE, R2, MAPE, RMSE over the simulator's noise sigma
(the Bayes floor; only when truth.json knows it), and RMSE when the test features get
Gaussian noise (robustness). The champion (lowest test RMSE) also gets permutation
feature importance and plot data. Explanations split a prediction into one
contribution per feature plus a constant, for linear models (coefficient x value) and
for XGBoost (its exact ``pred_contribs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline


def _r(value: float) -> float:
    return round(float(value), 6)


def regression_metrics(y: np.ndarray, predicted: np.ndarray, sigma: float | None) -> dict:
    rmse = root_mean_squared_error(y, predicted)
    metrics = {
        "rmse": _r(rmse),
        "mae": _r(mean_absolute_error(y, predicted)),
        "r2": _r(r2_score(y, predicted)),
        "mape": _r(mean_absolute_percentage_error(y, predicted)),
    }
    if sigma:
        metrics["rmse_over_sigma"] = _r(rmse / sigma)
    return metrics


def perturbed_rmse(
    pipeline: Pipeline, x: pd.DataFrame, y: pd.Series, numeric: list[str], level: float, seed: int
) -> float:
    """Test RMSE after adding N(0, level x std) noise to every numeric feature."""
    rng = np.random.default_rng(seed)
    noisy = x.copy()
    for column in numeric:
        noisy[column] = noisy[column] + rng.normal(0.0, level * x[column].std(), len(x))
    return _r(root_mean_squared_error(y, pipeline.predict(noisy)))


# ------------------------------------------------------------------ explanations


def _origin_of_prepared(prep: ColumnTransformer) -> dict[str, str]:
    """Which raw feature each column coming out of the preprocessor belongs to."""
    origin: dict[str, str] = {}
    for _, transformer, columns in prep.transformers_:
        if transformer == "drop" or not len(columns):
            continue
        names = (
            transformer.get_feature_names_out(columns)
            if hasattr(transformer, "get_feature_names_out")
            else np.asarray(columns)
        )
        if hasattr(transformer, "categories_"):  # one-hot: "cement_supplier_B" -> its column
            for name in names:
                origin[str(name)] = next(c for c in columns if str(name).startswith(f"{c}_"))
        else:
            origin.update({str(n): str(n) for n in names})
    return origin


def _term_owners(pipeline: Pipeline) -> list[list[str]]:
    """For each column the final model sees, the raw features it is made of."""
    prep = pipeline.named_steps["prep"]
    origin = _origin_of_prepared(prep)
    names = [str(n) for n in prep.get_feature_names_out()]
    if "poly" in pipeline.named_steps:
        names = [str(n) for n in pipeline.named_steps["poly"].get_feature_names_out(names)]
        # "a b" is a product, "a^2" a square: a term belongs to the features in it
        return [[origin[part.split("^")[0]] for part in name.split(" ")] for name in names]
    return [[origin[name]] for name in names]


def contributions(pipeline: Pipeline, x: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-row, per-raw-feature contributions and the constant; they sum to the prediction.

    A term of several features (a product in poly2) is shared equally among them.
    Raises ``TypeError`` for a model with neither coefficients nor tree contributions.
    """
    model = pipeline.steps[-1][1]
    transformed = pipeline[:-1].transform(x)
    owners = _term_owners(pipeline)
    if hasattr(model, "coef_"):
        terms = np.asarray(transformed) * np.ravel(model.coef_)
        constant = np.full(len(x), float(np.ravel(model.intercept_)[0]))
    elif hasattr(model, "get_booster"):
        import xgboost

        matrix = xgboost.DMatrix(np.asarray(transformed, dtype=float))
        raw = model.get_booster().predict(matrix, pred_contribs=True)
        terms, constant = raw[:, :-1], raw[:, -1]
    else:
        raise TypeError(f"{type(model).__name__} has no per-feature contributions")
    features = list(dict.fromkeys(f for owner in owners for f in owner))
    shares = pd.DataFrame(0.0, index=range(len(x)), columns=features)
    for j, owner in enumerate(owners):
        for feature in owner:
            shares[feature] += terms[:, j] / len(owner)
    return shares, constant


def explain_rows(pipeline: Pipeline, x: pd.DataFrame, ids: pd.Series) -> list[dict[str, Any]]:
    shares, constant = contributions(pipeline, x)
    predicted = pipeline.predict(x)
    return [
        {
            "batch_id": int(ids.iloc[i]),
            "prediction": _r(predicted[i]),
            "constant": _r(constant[i]),
            "contributions": {f: _r(v) for f, v in shares.iloc[i].items()},
        }
        for i in range(len(x))
    ]


# ------------------------------------------------------------------ the whole evaluation


@dataclass
class TargetEvaluation:
    metrics: dict[str, Any]
    champion: str
    predictions: pd.DataFrame
    importance: pd.DataFrame
    explanations: dict[str, Any] = field(default_factory=dict)


def evaluate_target(
    target: str,
    pipelines: dict[str, Pipeline],
    test: pd.DataFrame,
    features: list[str],
    categorical: list[str],
    sigma: float | None,
    settings: Any,
    id_column: str,
) -> TargetEvaluation:
    """Score every model of ``target``; pick, explain and plot the champion."""
    x, y = test[features], test[target]
    numeric = [c for c in features if c not in categorical and c not in settings.exact_features]
    per_model: dict[str, Any] = {}
    for name, pipeline in pipelines.items():
        scores = regression_metrics(y, pipeline.predict(x), sigma)
        scores["robustness"] = {
            f"rmse_noise_{level:g}": perturbed_rmse(pipeline, x, y, numeric, level, settings.seed)
            for level in settings.noise_levels
        }
        per_model[name] = scores
    champion = min(per_model, key=lambda name: (per_model[name]["rmse"], name))
    best = pipelines[champion]

    importance = permutation_importance(
        best,
        x,
        y,
        scoring="neg_root_mean_squared_error",
        n_repeats=settings.importance_repeats,
        random_state=settings.seed,
    )
    importance_frame = pd.DataFrame(
        {"feature": features, "importance": np.round(importance.importances_mean, 6)}
    ).sort_values("importance", ascending=False, kind="stable")

    rows = test.sample(n=min(settings.plot_rows, len(test)), random_state=settings.seed)
    predicted = best.predict(rows[features])
    plot = pd.DataFrame(
        {
            "actual": rows[target].round(4).to_numpy(),
            "predicted": np.round(predicted, 4),
            "residual": np.round(rows[target].to_numpy() - predicted, 4),
        }
    )

    explained = test.head(settings.explain_rows)
    explanations = {}
    for name, pipeline in pipelines.items():
        try:
            explanations[name] = explain_rows(pipeline, explained[features], explained[id_column])
        except TypeError as exc:
            explanations[name] = {"unsupported": str(exc)}

    metrics = {
        "sigma": sigma,
        "champion": champion,
        "models": per_model,
        "champion_importance": dict(
            zip(importance_frame["feature"], importance_frame["importance"], strict=True)
        ),
    }
    return TargetEvaluation(metrics, champion, plot, importance_frame, explanations)
