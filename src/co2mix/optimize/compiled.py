"""Fitted pipelines compiled once into array functions: the optimizer's hot path.

A scikit-learn pipeline called on a frame costs milliseconds of column selection and
validation whatever the number of rows, and dual annealing scores one mix per call. The
compiled function does the same arithmetic on numpy arrays: the column transformer's
scaling and one-hot encoding, polynomial terms, scaling, a linear model as a matrix
product, XGBoost through ``inplace_predict`` on a float array. Tests hold it equal to
``pipeline.predict`` (1e-9; 1e-5 for XGBoost) on random in-bounds mixes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    PolynomialFeatures,
    StandardScaler,
)
from xgboost import XGBModel

from co2mix.modeling.registry import refuse_unknown_values

Columns = Mapping[str, np.ndarray]  # candidates, one array per feature (or a frame)
Step = Callable[[np.ndarray], np.ndarray]
ArrayModel = Callable[[Columns], np.ndarray]


class NotCompilable(TypeError):
    """A pipeline step without an array form here; the caller keeps ``pipeline.predict``."""


def _column_stack(columns: Columns, names: Sequence[str]) -> np.ndarray:
    return np.column_stack([np.asarray(columns[name], dtype=float) for name in names])


def _scale(scaler: StandardScaler) -> Step:
    mean = scaler.mean_ if scaler.with_mean else 0.0
    scale = scaler.scale_ if scaler.with_std else 1.0
    return lambda x: (x - mean) / scale


def _one_hot(encoder: OneHotEncoder, names: Sequence[str]) -> ArrayModel:
    """Indicator columns in the encoder's order, without the dropped level; an unknown
    category is refused as the encoder refuses it (naming the column and the value)."""
    kept = []
    for i, categories in enumerate(encoder.categories_):
        dropped = None if encoder.drop_idx_ is None else encoder.drop_idx_[i]
        kept.append([c for j, c in enumerate(categories) if dropped is None or j != dropped])

    def encode(columns: Columns) -> np.ndarray:
        for name, levels in zip(names, encoder.categories_, strict=True):
            refuse_unknown_values(name, columns[name], levels)
        blocks = [
            np.asarray(columns[name], dtype=object)[:, None] == np.asarray(levels, dtype=object)
            for name, levels in zip(names, kept, strict=True)
        ]
        return np.hstack(blocks).astype(float)

    return encode


def _block(transformer: object, names: Sequence[str]) -> ArrayModel:
    names = list(names)
    identity = isinstance(transformer, FunctionTransformer) and transformer.func is None
    if identity or transformer == "passthrough":  # fitted, "passthrough" is an identity
        return lambda columns: _column_stack(columns, names)
    if isinstance(transformer, StandardScaler):
        scale = _scale(transformer)
        return lambda columns: scale(_column_stack(columns, names))
    if isinstance(transformer, OneHotEncoder):
        return _one_hot(transformer, names)
    raise NotCompilable(f"no array form for {type(transformer).__name__} in the preprocessor")


def _prepare(prep: ColumnTransformer) -> ArrayModel:
    blocks = [
        _block(transformer, names)
        for _, transformer, names in prep.transformers_
        if transformer != "drop" and len(names)
    ]
    return lambda columns: np.hstack([block(columns) for block in blocks])


def _polynomial(poly: PolynomialFeatures) -> Step:
    """Degree-2 terms from ``powers_``, all in one product: a feature (times 1), its
    square, or a product of two."""
    if poly.degree != 2 or poly.include_bias:
        raise NotCompilable("only degree-2 polynomial features without a bias column")
    n = poly.n_features_in_
    terms = [np.repeat(np.arange(len(row)), row) for row in poly.powers_]
    left = np.array([term[0] for term in terms])
    right = np.array([term[1] if len(term) == 2 else n for term in terms])  # n: the ones

    def expand(x: np.ndarray) -> np.ndarray:
        with_one = np.hstack([x, np.ones((len(x), 1))])
        return with_one[:, left] * with_one[:, right]

    return expand


def _xgboost(model: XGBModel) -> Step:
    """One thread: a population of 60 mixes is predicted faster than threads start."""
    booster = model.get_booster().copy()
    booster.set_param({"nthread": 1})
    best = getattr(model, "best_iteration", None)
    rounds = (0, best + 1) if best is not None else (0, 0)

    def predict(x: np.ndarray) -> np.ndarray:
        return np.asarray(
            booster.inplace_predict(x, iteration_range=rounds, missing=np.nan),
            dtype=float,
        )

    return predict


def _step(step: object) -> Step:
    if isinstance(step, StandardScaler):
        return _scale(step)
    if isinstance(step, PolynomialFeatures):
        return _polynomial(step)
    if isinstance(step, XGBModel):
        return _xgboost(step)
    if hasattr(step, "coef_") and hasattr(step, "intercept_"):
        coef = np.ravel(step.coef_)
        intercept = float(np.ravel(step.intercept_)[0])
        return lambda x: x @ coef + intercept
    raise NotCompilable(f"no array form for {type(step).__name__}")


def compile_transform(pipeline: Pipeline) -> ArrayModel:
    """``pipeline[:-1].transform`` (what the final model sees) as a function of arrays."""
    prepare = _prepare(pipeline.named_steps["prep"])
    steps = [_step(step) for _, step in pipeline.steps[1:-1]]

    def transform(columns: Columns) -> np.ndarray:
        x = prepare(columns)
        for step in steps:
            x = step(x)
        return x

    return transform


def compile_final(pipeline: Pipeline) -> Step:
    """The final model's prediction from the matrix :func:`compile_transform` makes."""
    return _step(pipeline.steps[-1][1])


def compile_pipeline(pipeline: Pipeline) -> ArrayModel:
    """``pipeline.predict`` as a function of arrays (columns by feature name)."""
    transform = compile_transform(pipeline)
    final = compile_final(pipeline)
    return lambda columns: final(transform(columns))
