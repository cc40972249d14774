"""Training one (target, model) cell of the matrix: select rows and features, fit, describe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from co2mix.core.contracts import read_checked
from co2mix.core.errors import InputError, ParamsError
from co2mix.core.io import first_non_number
from co2mix.core.params import Params
from co2mix.core.params_file import require_columns
from co2mix.core.schemas import TrainMetrics
from co2mix.modeling.models import fit_model, model_options
from co2mix.modeling.registry import FitSpec, Fitted, Options
from co2mix.modeling.search import XGBoostOptions


@dataclass
class TrainResult:
    fitted: Fitted
    metrics: TrainMetrics


def fit_spec(params: Params, target: str, model: str) -> FitSpec[Options]:
    """The features, seed and typed options of one matrix cell; unknown names are refused."""
    if target not in params.data.targets:
        raise ParamsError(
            f"params.yaml: data.targets has no target {target!r}; targets: {params.data.targets}"
        )
    if model not in params.train.models:
        raise ParamsError(
            f"params.yaml: train.models has no model {model!r}; models: {params.train.models}"
        )
    features = params.train.features[target]
    return FitSpec(
        features=features,
        categorical=params.data.categorical_in(features),
        seed=params.train.seed,
        validation_fraction=params.train.validation_fraction,
        options=model_options(params.train, model),
        ordinal={c: params.data.ordinal[c] for c in features if c in params.data.ordinal},
        target_transform=params.train.target_transform.get(target),
    )


def train_cell(params: Params, source: Path, target: str, model: str) -> TrainResult:
    """One matrix cell from the prepared parquet at ``source``: read whole by the local
    engine, or in partitions by the dask engine (``train.engine: dask``, XGBoost only)."""
    if params.train.engine != "dask" or model != "xgboost":
        return train_one(
            params, read_checked(source, params, "prepare"), target, model, str(source)
        )
    from co2mix.modeling.dask_engine import fit_on_cluster  # dask's import: only when asked

    spec = fit_spec(params, target, model)
    xgboost_spec = cast(FitSpec[XGBoostOptions], spec)  # model == "xgboost": its options
    fitted, rows = fit_on_cluster(xgboost_spec, source, target, params.train.cluster)
    return _result(spec, target, model, fitted, rows)


def train_one(
    params: Params, train: pd.DataFrame, target: str, model: str, source: str
) -> TrainResult:
    """Fit ``model`` on ``train`` for ``target``; metrics say how it did on validation."""
    spec = fit_spec(params, target, model)
    require_columns(f"train.features.{target}", spec.features, list(train.columns), source)
    require_columns("data.targets", [target], list(train.columns), source)
    check_training_rows(train, spec, target, model, source)
    fitted = fit_model(model, spec, train, train[target])
    return _result(spec, target, model, fitted, len(train))


def _result(
    spec: FitSpec[Options], target: str, model: str, fitted: Fitted, rows: int
) -> TrainResult:
    """The fitted cell and its metrics: what it learnt from, and how it did."""
    metrics: TrainMetrics = {
        "target": target,
        "model": model,
        "features": spec.features,
        "rows": rows,
        **fitted.info,
    }
    return TrainResult(fitted, metrics)


ROWS_PER_FEATURE = 2  # fewer rows than this per feature (and MIN_ROWS) cannot be learnt
MIN_ROWS = 20  # honestly from, with a validation split taken out of them


def check_training_rows(
    train: pd.DataFrame, spec: FitSpec[Options], target: str, model: str, source: str
) -> None:
    """Refuse rows a model cannot learn from: a numeric feature holding text (naming the
    row and value), a target with no value, or too few rows for the features."""
    for column in [*spec.features, target]:
        if column in spec.categorical or pd.api.types.is_numeric_dtype(train[column]):
            continue
        at = first_non_number(train[column])
        at = train.index[0] if at is None else at
        raise InputError(
            f"{source}: column {column!r} must be numeric; row {at} holds {train[column][at]!r}"
        )
    refuse_too_few_rows(int(train[target].notna().sum()), spec, target, model, source)


def refuse_too_few_rows(
    rows: int, spec: FitSpec[Options], target: str, model: str, source: str
) -> None:
    """Fewer rows with a target value than a model with these features learns from
    (both engines)."""
    needed = max(MIN_ROWS, ROWS_PER_FEATURE * (len(spec.features) + 1))
    if rows < needed:
        raise InputError(
            f"{source}: {rows} rows with a {target} value; {model} needs at least {needed} "
            f"to learn {len(spec.features)} features and hold out a validation split"
        )
