"""Per-feature explanations: a prediction split into one contribution per raw feature
plus a constant, for linear models (coefficient x value, products of poly2 shared equally
among their features) and for XGBoost (its exact ``pred_contribs``)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import xgboost
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.pipeline import Pipeline

from co2mix.core.records import number
from co2mix.core.schemas import ExplainedRow
from co2mix.modeling.registry import final_estimator
from co2mix.modeling.tree_shap import TableTreeShap


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
        if hasattr(transformer, "categories_"):  # one-hot "cut_Ideal" or codes "cut": its column
            for name in names:
                origin[str(name)] = next(
                    c for c in columns if str(name) == c or str(name).startswith(f"{c}_")
                )
        else:
            origin.update({str(n): str(n) for n in names})
    return origin


def _term_owners(pipeline: Pipeline) -> list[list[str]]:
    """For each column the final model sees, the raw features it is made of."""
    prep = pipeline.named_steps["prep"]
    origin = _origin_of_prepared(prep)
    names = [str(n) for n in prep.get_feature_names_out()]
    if "poly" in pipeline.named_steps:
        # a product or a square belongs to the features in it (its nonzero powers)
        powers = pipeline.named_steps["poly"].powers_
        return [[origin[names[j]] for j in np.flatnonzero(row)] for row in powers]
    return [[origin[name]] for name in names]


class Explainer:
    """A fitted pipeline's per-raw-feature contributions, from its prepared matrix.

    A term of several features (a product in poly2) is shared equally among them: the
    shares are the model's term contributions times a (terms x features) sharing matrix.
    Built once per pipeline, so a service explains a row without rebuilding any of it;
    the prepared matrix may come from ``pipeline[:-1].transform`` or an array function
    that computes the same. Raises ``TypeError`` for a model with neither coefficients
    nor tree contributions.
    """

    def __init__(self, pipeline: Pipeline, lookup: bool = False):
        """``lookup``: for trees, precompute exact TreeSHAP per cell (seconds, tens of
        MB, on a background thread: until it is ready, XGBoost's own TreeSHAP answers)
        so that each later row costs microseconds: what a service wants, not a stage."""
        model = final_estimator(pipeline)
        # log target: contributions come out in log units and are turned into the target's
        self.log_target = isinstance(pipeline.steps[-1][1], TransformedTargetRegressor)
        owners = _term_owners(pipeline)
        self.features = list(dict.fromkeys(f for owner in owners for f in owner))
        column = {f: i for i, f in enumerate(self.features)}
        self.sharing = np.zeros((len(owners), len(self.features)))
        for j, owner in enumerate(owners):
            for feature in owner:
                self.sharing[j, column[feature]] += 1.0 / len(owner)
        if hasattr(model, "coef_"):
            self.coef: np.ndarray | None = np.ravel(model.coef_)
            self.intercept = float(np.ravel(model.intercept_)[0])
        elif hasattr(model, "get_booster"):
            self.coef = None
            self.booster = model.get_booster().copy()
            self.booster.set_param({"nthread": 1})  # one row: threads cost more than they save
            self.table: TableTreeShap | None = None
            if lookup:
                self._building = threading.Thread(target=self._build_table, daemon=True)
                self._building.start()
        else:
            raise TypeError(f"{type(model).__name__} has no per-feature contributions")

    def _build_table(self) -> None:
        self.table = TableTreeShap.build(self.booster.copy())

    def method(self, timeout: float = 0.0) -> str:
        """How exact contributions are computed now (waiting up to ``timeout`` seconds
        for a table being built): "coefficients" (linear), "lookup" (the table),
        "building" (XGBoost's TreeSHAP until the table is ready) or "tree_shap"."""
        if self.coef is not None:
            return "coefficients"
        building = getattr(self, "_building", None)
        if building is not None:
            building.join(timeout)
            if building.is_alive():
                return "building"
        return "lookup" if self.table is not None else "tree_shap"

    def __call__(
        self, prepared: np.ndarray, approximate: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows x features shares, per-row constant); they sum to the prediction.
        ``approximate``: for trees, each split's change of the expected value credited to
        its feature along the row's path (Saabas) instead of exact TreeSHAP: about four
        times cheaper, also additive, but order-dependent (linear models are exact)."""
        prepared = np.asarray(prepared, dtype=float)
        if self.coef is not None:
            terms = prepared * self.coef
            constant = np.full(len(prepared), self.intercept)
        else:
            if self.table is not None and not approximate and not np.isnan(prepared).any():
                raw = self.table(prepared)
            else:
                matrix = xgboost.DMatrix(prepared, nthread=1)
                raw = self.booster.predict(matrix, pred_contribs=True, approx_contribs=approximate)
            terms, constant = raw[:, :-1], raw[:, -1]
        shares = terms @ self.sharing
        return to_target_scale(shares, constant) if self.log_target else (shares, constant)


def to_target_scale(shares: np.ndarray, constant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-scale contributions as contributions in the target's units (dollars).

    The prediction is exp(constant + sum of shares): the baseline exp(constant) and, for
    each feature, its log share's part of the prediction's distance from the baseline
    (share / sum x (prediction - baseline)). They add up to the prediction exactly and keep
    every share's sign, since exp rises: a better clarity adds dollars, a worse one takes
    them away, in proportion to its effect on the log price.
    """
    total = shares.sum(axis=1)
    baseline = np.exp(constant)
    change = np.exp(constant + total) - baseline
    safe = np.where(np.abs(total) > 1e-12, total, 1.0)
    ratio = np.where(np.abs(total) > 1e-12, change / safe, baseline)
    return shares * ratio[:, None], baseline


def contributions(pipeline: Pipeline, x: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-row, per-raw-feature contributions and the constant; they sum to the prediction."""
    explainer = Explainer(pipeline)
    shares, constant = explainer(pipeline[:-1].transform(x))
    return pd.DataFrame(shares, index=range(len(x)), columns=explainer.features), constant


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
