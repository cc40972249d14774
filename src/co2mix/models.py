"""The model registry: a name maps to a factory that fits a model on training rows.

Adding a model is one entry here and one params block::

    class KnnOptions(Options):
        n_neighbors: int = 10

    @register("knn", KnnOptions)
    def knn(spec: FitSpec, x: pd.DataFrame, y: pd.Series) -> Fitted:
        model = make_pipeline(preprocessor(spec, scale=True), KNeighborsRegressor(...))
        return fit_with_validation(spec, model, x, y)

then ``train.knn: {n_neighbors: 10}`` and ``knn`` in ``train.models`` in params.yaml.

Every model is a scikit-learn Pipeline whose first step one-hot encodes the categorical
features (and scales, where the model needs it), so evaluation and explanations treat
all models alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler


class Options(BaseModel):
    """A model's params block (``train.<model>``): strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class FitSpec:
    """What every factory gets besides the data."""

    features: list[str]
    categorical: list[str]
    seed: int
    validation_fraction: float
    options: Options


@dataclass
class Fitted:
    pipeline: Pipeline
    info: dict[str, Any] = field(default_factory=dict)  # validation score, search results


Factory = Callable[[FitSpec, pd.DataFrame, pd.Series], Fitted]


@dataclass(frozen=True)
class Entry:
    factory: Factory
    options: type[Options]


REGISTRY: dict[str, Entry] = {}


def register(name: str, options: type[Options] = Options) -> Callable[[Factory], Factory]:
    """Decorator: make ``factory`` available as ``name`` in ``train.models``."""

    def add(factory: Factory) -> Factory:
        REGISTRY[name] = Entry(factory, options)
        return factory

    return add


def preprocessor(spec: FitSpec, scale: bool, drop_first: bool = True) -> ColumnTransformer:
    """One-hot categorical features (dropping one level for linear models); scale numbers."""
    numeric = [c for c in spec.features if c not in spec.categorical]
    categorical = [c for c in spec.features if c in spec.categorical]
    encoder = OneHotEncoder(
        drop="first" if drop_first else None, handle_unknown="ignore", sparse_output=False
    )
    return ColumnTransformer(
        [("numeric", StandardScaler() if scale else "passthrough", numeric)]
        + ([("categorical", encoder, categorical)] if categorical else []),
        verbose_feature_names_out=False,
    )


def validation_split(spec: FitSpec, x: pd.DataFrame, y: pd.Series) -> tuple[Any, ...]:
    return train_test_split(x, y, test_size=spec.validation_fraction, random_state=spec.seed)


def fit_with_validation(spec: FitSpec, pipeline: Pipeline, x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Score on a held-out validation split, then refit on all training rows."""
    x_fit, x_val, y_fit, y_val = validation_split(spec, x, y)
    pipeline.fit(x_fit, y_fit)
    score = root_mean_squared_error(y_val, pipeline.predict(x_val))
    pipeline.fit(x, y)
    return Fitted(pipeline, {"validation_rmse": round(float(score), 6)})


# ------------------------------------------------------------------ the models


class LinearOptions(Options):
    fit_intercept: bool = True


@register("linear", LinearOptions)
def linear(spec: FitSpec, x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Ordinary least squares on the raw features."""
    options: LinearOptions = spec.options  # type: ignore[assignment]
    model = LinearRegression(fit_intercept=options.fit_intercept)
    pipeline = Pipeline([("prep", preprocessor(spec, scale=True)), ("model", model)])
    return fit_with_validation(spec, pipeline, x, y)


class Poly2Options(Options):
    alphas: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1)]


@register("poly2", Poly2Options)
def poly2(spec: FitSpec, x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Scaled degree-2 polynomial features with a ridge penalty chosen by RidgeCV."""
    options: Poly2Options = spec.options  # type: ignore[assignment]
    pipeline = Pipeline(
        [
            ("prep", preprocessor(spec, scale=True)),
            ("poly", PolynomialFeatures(degree=2, include_bias=False)),
            ("scale", StandardScaler()),
            ("model", RidgeCV(alphas=options.alphas)),
        ]
    )
    fitted = fit_with_validation(spec, pipeline, x, y)
    fitted.info["best_params"] = {"alpha": float(pipeline.named_steps["model"].alpha_)}
    return fitted


class XGBoostOptions(Options):
    n_trials: Annotated[int, Field(ge=1)]
    timeout_s: Annotated[float, Field(gt=0)]
    max_estimators: Annotated[int, Field(ge=10)]
    early_stopping_rounds: Annotated[int, Field(ge=1)]
    n_jobs: Annotated[int, Field(ge=1)]


@register("xgboost", XGBoostOptions)
def xgboost(spec: FitSpec, x: pd.DataFrame, y: pd.Series) -> Fitted:
    """XGBoost (hist) tuned by Optuna's seeded TPE sampler, early stopping on validation."""
    from co2mix.search import tune_xgboost

    return tune_xgboost(spec, x, y)


# ------------------------------------------------------------------ using the registry


def options_for(name: str, block: Any, key: str) -> Options:
    """Validate a model's params block; errors name ``key`` (e.g. ``train.xgboost``)."""
    from pydantic import ValidationError

    from co2mix.params import ParamsError

    if name not in REGISTRY:
        raise ParamsError(
            f"params.yaml: train.models: unknown model {name!r}; registered: {sorted(REGISTRY)}"
        )
    try:
        return REGISTRY[name].options.model_validate(block if block is not None else {})
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            where = ".".join([key, *(str(p) for p in err["loc"])])
            value = f" = {err['input']!r}" if err["type"] != "missing" else ""
            lines.append(f"params.yaml: {where}{value}: {err['msg']}")
        raise ParamsError("\n".join(lines)) from None


def fit_model(name: str, spec: FitSpec, x: pd.DataFrame, y: pd.Series) -> Fitted:
    """Fit registry entry ``name``: the one code path every model goes through."""
    fitted = REGISTRY[name].factory(spec, x[spec.features], y)
    predictions = fitted.pipeline.predict(x[spec.features])
    fitted.info["train_rmse"] = round(float(np.sqrt(np.mean((predictions - y) ** 2))), 6)
    return fitted
