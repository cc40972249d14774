"""The catalogue of models: adding a model is one entry here and one params block::

    class KnnOptions(Options):
        n_neighbors: int

    @register("knn", KnnOptions)
    def knn(spec: FitSpec[KnnOptions], x: pd.DataFrame, y: pd.Series) -> Fitted:
        model = KNeighborsRegressor(n_neighbors=spec.options.n_neighbors)
        pipeline = Pipeline([("prep", preprocessor(spec, scale=True)), ("model", model)])
        return fit_with_validation(spec, pipeline, x, y)

then ``train.knn: {n_neighbors: 10}`` and ``knn`` in ``train.models`` in params.yaml.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from co2mix.core.errors import ParamsError
from co2mix.core.params import Train
from co2mix.modeling.registry import (
    FitSpec,
    Fitted,
    Options,
    OptionsT,
    entry,
    fit_with_validation,
    preprocessor,
    register,
)
from co2mix.modeling.search import XGBoostOptions, tune_xgboost


class LinearOptions(Options):
    fit_intercept: bool = True


@register("linear", LinearOptions)
def linear(spec: FitSpec[LinearOptions], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Ordinary least squares on the standardized features."""
    model = LinearRegression(fit_intercept=spec.options.fit_intercept)
    pipeline = Pipeline([("prep", preprocessor(spec, scale=True)), ("model", model)])
    return fit_with_validation(spec, pipeline, x, y)


class Poly2Options(Options):
    alphas: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1)]


@register("poly2", Poly2Options)
def poly2(spec: FitSpec[Poly2Options], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Scaled degree-2 polynomial features with a ridge penalty chosen by RidgeCV."""
    pipeline = Pipeline(
        [
            ("prep", preprocessor(spec, scale=True)),
            ("poly", PolynomialFeatures(degree=2, include_bias=False)),
            ("scale", StandardScaler()),
            ("model", RidgeCV(alphas=spec.options.alphas)),
        ]
    )
    fitted = fit_with_validation(spec, pipeline, x, y)
    fitted.info["best_params"] = {"alpha": float(pipeline.named_steps["model"].alpha_)}
    return fitted


register("xgboost", XGBoostOptions)(tune_xgboost)

# ------------------------------------------------------------------ using the catalogue


def model_options(train: Train, name: str) -> Options:
    """``train.<name>`` validated into the model's typed options (an unknown name is refused)."""
    return entry(name).validate(train.model_block(name), f"train.{name}")


def options_of(train: Train, name: str, kind: type[OptionsT]) -> OptionsT:
    """The options of model ``name`` as the type the caller needs (``XGBoostOptions``)."""
    options = model_options(train, name)
    if not isinstance(options, kind):
        raise ParamsError(f"params.yaml: train.{name} is not a {kind.__name__} block")
    return options


def validate_models(train: Train) -> None:
    """Every model in ``train.models`` is registered and its block is valid."""
    for name in train.models:
        model_options(train, name)


def fit_model(name: str, spec: FitSpec[Options], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Fit registry entry ``name``: the one code path every model goes through."""
    fitted = entry(name).factory(spec, x[spec.features], y)
    predictions = fitted.pipeline.predict(x[spec.features])
    fitted.info["train_rmse"] = round(float(np.sqrt(np.mean((predictions - y) ** 2))), 6)
    return fitted
