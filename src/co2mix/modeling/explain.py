"""Per-feature explanations: a prediction split into one contribution per raw feature
plus a constant, for linear models (coefficient x value, products of poly2 shared equally
among their features) and for XGBoost (its exact ``pred_contribs``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from co2mix.core.records import number
from co2mix.core.schemas import ExplainedRow


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


def explain_rows(pipeline: Pipeline, x: pd.DataFrame, ids: pd.Series) -> list[ExplainedRow]:
    """Each row's prediction, constant and contributions, named by its id under the id
    column's own name (``ids.name``, e.g. ``batch_id``)."""
    shares, constant = contributions(pipeline, x)
    predicted = pipeline.predict(x)
    id_key = str(ids.name)
    return [
        {
            id_key: ids.iloc[i].item() if hasattr(ids.iloc[i], "item") else ids.iloc[i],
            "prediction": number(predicted[i]),
            "constant": number(constant[i]),
            "contributions": {f: number(v) for f, v in shares.iloc[i].items()},
        }
        for i in range(len(x))
    ]
