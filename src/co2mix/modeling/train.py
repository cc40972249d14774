"""Training one cell of the matrix (a model, for every target): select rows and features,
fit, describe."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import pandas as pd

from co2mix.core.contracts import read_checked
from co2mix.core.errors import InputError, ParamsError
from co2mix.core.io import first_non_number
from co2mix.core.params import Params
from co2mix.core.params_file import require_columns
from co2mix.core.schemas import TrainMetrics
from co2mix.modeling.models import fit_model, model_options
from co2mix.modeling.registry import FitSpec, Fitted, Options, refuse_too_few_rows
from co2mix.modeling.xgboost_options import XGBoostOptions

Fitting = TypeVar("Fitting")  # what a fit of one target returns


@dataclass
class TrainResult:
    fitted: Fitted
    metrics: TrainMetrics
    seconds: float = 0.0  # the fit's wall-clock time: for the timings, never the metrics


def fit_spec(params: Params, target: str, model: str, progress: bool = True) -> FitSpec[Options]:
    """The features, seed and typed options of one fit; unknown names are refused."""
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
        progress=progress,
        structure=params.row_structure(),
        cv_folds=params.train.cv_folds,
    )


def train_cell(params: Params, source: Path, model: str) -> dict[str, TrainResult]:
    """The ``train@<model>`` cell: ``model`` fitted for every target, from the prepared
    parquet at ``source``.

    The local engine reads the rows once and fits the targets side by side on
    ``train.jobs`` threads (XGBoost and the linear algebra release the GIL). Each fit is
    seeded and sees only its own copy of the rows and its own thread counts, so the models
    are those of one fit after another, to the bit. The dask engine's XGBoost (reading the
    parquet in partitions) fits one target after another: each starts its own cluster."""
    targets = params.data.targets
    jobs = min(params.train.jobs, len(targets))
    # every target's spec first: unknown names are refused before any rows are read
    specs = {t: fit_spec(params, t, model, progress=jobs == 1) for t in targets}
    if params.train.engine == "dask" and model == "xgboost":
        return {t: _on_cluster(spec, params, source, t) for t, spec in specs.items()}
    train = read_checked(source, params, "prepare")

    def fit(target: str) -> TrainResult:
        rows = train.copy() if jobs > 1 else train  # no frame shared between threads
        return _fit(specs[target], rows, target, model, str(source))

    return side_by_side(fit, targets, jobs, f"train-{model}")


def side_by_side(
    fit: Callable[[str], Fitting], targets: list[str], jobs: int, name: str
) -> dict[str, Fitting]:
    """``fit`` of every target, on ``jobs`` threads (in this thread when 1), by target.
    Each fit must see only its own rows and thread counts: then the results are those of
    one fit after another, to the bit."""
    if jobs == 1:
        return {t: fit(t) for t in targets}
    with ThreadPoolExecutor(jobs, thread_name_prefix=name) as pool:
        return dict(zip(targets, pool.map(fit, targets), strict=True))


def _on_cluster(spec: FitSpec[Options], params: Params, source: Path, target: str) -> TrainResult:
    from co2mix.modeling.dask_engine import fit_on_cluster  # dask's import: only when asked

    start = time.perf_counter()
    xgboost_spec = cast(FitSpec[XGBoostOptions], spec)  # model == "xgboost": its options
    fitted, rows = fit_on_cluster(xgboost_spec, source, target, params.train.cluster)
    return _result(spec, target, "xgboost", fitted, rows, time.perf_counter() - start)


def train_one(
    params: Params,
    train: pd.DataFrame,
    target: str,
    model: str,
    source: str,
    progress: bool = True,
) -> TrainResult:
    """Fit ``model`` on ``train`` for ``target``; metrics say how it did on validation."""
    return _fit(fit_spec(params, target, model, progress), train, target, model, source)


def _fit(
    spec: FitSpec[Options], train: pd.DataFrame, target: str, model: str, source: str
) -> TrainResult:
    start = time.perf_counter()
    require_columns(f"train.features.{target}", spec.features, list(train.columns), source)
    require_columns("data.targets", [target], list(train.columns), source)
    check_training_rows(train, spec, target, model, source)
    fitted = fit_model(model, spec, train, train[target])
    return _result(spec, target, model, fitted, len(train), time.perf_counter() - start)


def _result(
    spec: FitSpec[Options], target: str, model: str, fitted: Fitted, rows: int, seconds: float
) -> TrainResult:
    """The fitted cell and its metrics: what it learnt from, and how it did."""
    metrics: TrainMetrics = {
        "target": target,
        "model": model,
        "features": spec.features,
        "rows": rows,
        **fitted.info,
    }
    return TrainResult(fitted, metrics, seconds)


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
