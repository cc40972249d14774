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
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
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
    final_estimator,
    fit_with_validation,
    on_target_scale,
    preprocessor,
    register,
)
from co2mix.modeling.xgboost_options import XGBoostOptions


class LinearOptions(Options):
    fit_intercept: bool = True


@register("linear", LinearOptions)
def linear(spec: FitSpec[LinearOptions], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Ordinary least squares on the standardized features."""
    model = on_target_scale(spec, LinearRegression(fit_intercept=spec.options.fit_intercept))
    pipeline = Pipeline([("prep", preprocessor(spec, scale=True)), ("model", model)])
    return fit_with_validation(spec, pipeline, x, y)


class Poly2Options(Options):
    alphas: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1)]


@register("poly2", Poly2Options)
def poly2(spec: FitSpec[Poly2Options], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Scaled degree-2 polynomial features with a ridge penalty chosen by RidgeCV: by its
    exact leave-one-out on independent rows, on the dataset's own folds when rows are
    grouped or ordered in time (leaving out one age of a mix leaks the other ages)."""
    pipeline = Pipeline(
        [
            ("prep", preprocessor(spec, scale=True)),
            ("poly", PolynomialFeatures(degree=2, include_bias=False)),
            ("scale", StandardScaler()),
            ("model", on_target_scale(spec, RidgeCV(alphas=spec.options.alphas))),
        ]
    )
    ridge_cv = "model__regressor__cv" if spec.target_transform == "log" else "model__cv"

    def penalty_folds(unfitted: Pipeline, rows: pd.DataFrame) -> None:
        if spec.structure.kind != "random":
            unfitted.set_params(**{ridge_cv: spec.folds(rows, spec.cv_folds)})

    fitted = fit_with_validation(spec, pipeline, x, y, before_fit=penalty_folds)
    if spec.structure.kind != "random":  # the chosen alpha stays; the row positions go
        pipeline.set_params(**{ridge_cv: None})
    ridge = final_estimator(pipeline)
    fitted.info["best_params"] = {"alpha": float(ridge.alpha_)}
    return fitted


@register("xgboost", XGBoostOptions)
def xgboost(spec: FitSpec[XGBoostOptions], x: pd.DataFrame, y: pd.Series) -> Fitted:
    """XGBoost tuned by Optuna (:func:`co2mix.modeling.search.tune_xgboost`), imported
    here: Optuna's and XGBoost's training imports only in the process that searches."""
    from co2mix.modeling.search import tune_xgboost

    return tune_xgboost(spec, x, y)


# The white noise's lower bound, on the standardized target (noise sd >= 1 % of the
# target's). At 1e-6 a target without noise (BOxCrete's GWP, a life-cycle sum repeated on
# every row of a mix) drove the noise to the bound and the kernel matrix near singular:
# the fitted length scales then followed the last bits of the BLAS kernels (measured on
# this machine's OpenBLAS with its Zen, Haswell and Sandybridge kernels: validation RMSE
# 56.8, 56.8 and 16.6 kg CO2e/m3). At 1e-4 all three fit the same kernel (7.94), and a
# noisy target's fit does not reach the bound (BOxCrete's strength: noise 0.031).
GP_NOISE_FLOOR = 1e-4


class GaussianProcessOptions(Options):
    restarts: Annotated[int, Field(ge=0)] = 3  # extra kernel fits from random starts
    max_rows: Annotated[int, Field(ge=10)] = 3000  # exact GP: O(rows^3); refuse more


@register("gp", GaussianProcessOptions)
def gaussian_process(
    spec: FitSpec[GaussianProcessOptions], x: pd.DataFrame, y: pd.Series
) -> Fitted:
    """A Gaussian process on scaled inputs: a constant times an anisotropic RBF (one
    length scale per input column, fitted by maximum likelihood) plus a white-noise term,
    on the standardized target. The anchor model for small data (BOxCrete's 174 mixes);
    its ``predict(x, return_std=True)`` gives the predictive standard deviation a mix
    design can hold a safety margin against."""
    if len(x) > spec.options.max_rows:
        raise ParamsError(
            f"params.yaml: train.gp: {len(x)} training rows is more than max_rows "
            f"{spec.options.max_rows} (an exact GP costs rows^3): drop gp from train.models "
            "for this dataset, or raise max_rows"
        )
    prep = preprocessor(spec, scale=True)
    width = prep.fit(x).transform(x.head(1)).shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.ones(width), (1e-2, 1e3)) + WhiteKernel(
        0.1, (GP_NOISE_FLOOR, 1.0)
    )
    model = GaussianProcessRegressor(
        kernel,
        normalize_y=True,
        n_restarts_optimizer=spec.options.restarts,
        random_state=spec.seed,
    )
    pipeline = Pipeline([("prep", prep), ("model", on_target_scale(spec, model))])

    def warm_start(validated: Pipeline) -> None:
        # the refit on every row starts from the kernel the validation fit found: one local
        # optimisation instead of a new search with restarts (it moves little with 25 %
        # more rows)
        model.set_params(kernel=final_estimator(validated).kernel_, n_restarts_optimizer=0)

    fitted = fit_with_validation(spec, pipeline, x, y, before_refit=warm_start)
    kernel = final_estimator(pipeline).kernel_.get_params()
    scales = np.atleast_1d(kernel["k1__k2__length_scale"])
    names = pipeline.named_steps["prep"].get_feature_names_out()
    fitted.info["best_params"] = {
        "constant": round(float(kernel["k1__k1__constant_value"]), 6),
        "noise_level": round(float(kernel["k2__noise_level"]), 6),
    } | {f"length_scale_{n}": round(float(v), 6) for n, v in zip(names, scales, strict=True)}
    return fitted


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
    fitted = entry(name).factory(spec.with_rows(x), x[spec.features], y)
    predictions = fitted.pipeline.predict(x[spec.features])
    fitted.info["train_rmse"] = round(float(np.sqrt(np.mean((predictions - y) ** 2))), 6)
    return fitted
