"""XGBoost on a Dask cluster: what ``train.engine: dask`` runs for the ``xgboost`` cells.

The local engine reads the prepared parquet into one pandas frame, which is what breaks
first past one machine's memory. Here the parquet is read in partitions
(``dask.dataframe``), the validation split is dask's seeded ``random_split`` of those
partitions, and every fit of the Optuna search, and the final refit, goes through
``xgboost.dask`` on a ``dask.distributed`` cluster: the scheduler that dask's own
setting ``DASK_SCHEDULER_ADDRESS`` names, or else a ``LocalCluster`` on 127.0.0.1 sized
by ``train.cluster``. The result is saved exactly as the local engine's is (a
scikit-learn Pipeline ending in an ``XGBRegressor``), so evaluate, optimize and serve
never know which engine trained it.

Not carried over: Optuna's pruning (its callback reports to the study from inside the
boosting loop, which runs on the workers, away from the study) and a target transform;
both are refused naming the key. The search space, the seeded TPE sampler and early
stopping are the local engine's. A distributed fit is not byte-reproducible across
cluster sizes (each worker sketches its own histogram bins), which is why the default
engine stays local.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import optuna
import pandas as pd
import xgboost.dask
from distributed import Client, LocalCluster
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.params import Cluster
from co2mix.core.params_file import require_columns
from co2mix.modeling.registry import FitSpec, Fitted, preprocessor, refuse_too_few_rows
from co2mix.modeling.search import new_study, regressor, search_info, search_space
from co2mix.modeling.xgboost_options import XGBoostOptions


@contextmanager
def cluster_client(cluster: Cluster) -> Iterator[Client]:
    """A client of the scheduler ``DASK_SCHEDULER_ADDRESS`` names, or of a LocalCluster
    on 127.0.0.1 (no dashboard) that is closed again when the training is done."""
    address = dask.config.get("scheduler-address", None)
    environ = dict(os.environ)  # a LocalCluster sets OMP/MKL/OPENBLAS_NUM_THREADS=1 in it
    try:
        with _client(address, cluster) as client:
            yield client
    finally:
        os.environ.clear()
        os.environ.update(environ)


@contextmanager
def _client(address: str | None, cluster: Cluster) -> Iterator[Client]:
    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=cluster.workers,
            threads_per_worker=cluster.threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as local,
        Client(local) as client,
    ):
        yield client


def refuse_unsupported(spec: FitSpec[XGBoostOptions]) -> None:
    """The local engine's options the distributed fit cannot honour, named before any work."""
    if spec.options.pruning:
        raise ParamsError(
            "params.yaml: train.xgboost.pruning = true needs train.engine: local (Optuna's "
            "pruning callback cannot report from the Dask workers); set it to false"
        )
    if spec.target_transform is not None:
        raise ParamsError(
            "params.yaml: train.target_transform needs train.engine: local "
            "(the dask engine fits the target as it is)"
        )
    if spec.structure.kind != "random" or spec.cv_folds > 1:
        raise ParamsError(
            f"params.yaml: rows split by {spec.structure.kind} (or train.cv_folds > 1) need "
            "train.engine: local (the dask engine validates on one random split of the rows)"
        )
    if spec.options.parallel_trials > 1:
        raise ParamsError(
            f"params.yaml: train.xgboost.parallel_trials = {spec.options.parallel_trials} "
            "needs train.engine: local (the cluster's workers share each trial); set it to 1"
        )


def read_partitions(source: Path, spec: FitSpec[Any], target: str, workers: int) -> dd.DataFrame:
    """The features and the target of the rows that have one, in at least one partition
    per worker; columns and types are checked against the file's schema, not its rows."""
    if not source.exists():
        raise InputError(f"{source}: file not found (run the prepare stage first)")
    frame = dd.read_parquet(source)
    require_columns(f"train.features.{target}", spec.features, list(frame.columns), str(source))
    require_columns("data.targets", [target], list(frame.columns), str(source))
    for column in [*spec.features, target]:
        if column not in spec.categorical and not pd.api.types.is_numeric_dtype(
            frame.dtypes[column]
        ):
            raise InputError(
                f"{source}: column {column!r} must be numeric; its type is {frame.dtypes[column]}"
            )
    frame = frame[[*spec.features, target]].dropna(subset=[target])
    return frame.repartition(npartitions=max(workers, frame.npartitions))


def fitted_preprocessor(spec: FitSpec[Any], frame: dd.DataFrame) -> ColumnTransformer:
    """The trees' preprocessor, fitted on one row per category level (the levels are
    computed over every partition; numbers pass through, so nothing else is learnt)."""
    levels = {
        column: sorted(frame[column].dropna().unique().compute())
        for column in spec.categorical
        if column not in spec.ordinal
    }
    rows = max([1, *(len(v) for v in levels.values())])
    sample = pd.DataFrame(
        {
            column: [levels[column][i % len(levels[column])] for i in range(rows)]
            if column in levels
            else [spec.ordinal[column][0]] * rows
            if column in spec.ordinal
            else [0.0] * rows
            for column in spec.features
        }
    )
    return preprocessor(spec, scale=False, drop_first=False, ordinal_codes=True).fit(sample)


def transformed(prep: ColumnTransformer, frame: dd.DataFrame, features: list[str]) -> Any:
    """Each partition through the fitted preprocessor, as a float frame (one task each)."""
    names = list(prep.get_feature_names_out())

    def one(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(prep.transform(part[features]), columns=names, index=part.index)

    meta = pd.DataFrame({name: pd.Series(dtype=float) for name in names})
    return frame.map_partitions(one, meta=meta)


def booster_params(params: dict[str, Any], spec: FitSpec[XGBoostOptions], threads: int) -> dict:
    """The search's sklearn-style parameters in xgboost's native names (its aliases)."""
    return {
        "tree_method": "hist",
        "objective": "reg:squarederror",
        "eval_metric": "rmse",
        "seed": spec.seed,
        "nthread": threads,
        **params,
    }


def fit_on_cluster(
    spec: FitSpec[XGBoostOptions], source: Path, target: str, cluster: Cluster
) -> tuple[Fitted, int]:
    """The XGBoost search and refit through ``xgboost.dask``; the fitted pipeline and
    the number of training rows."""
    refuse_unsupported(spec)
    options = spec.options
    frame = read_partitions(source, spec, target, cluster.workers)  # the schema: no cluster yet
    with cluster_client(cluster) as client:
        rows = int(frame.shape[0].compute())
        refuse_too_few_rows(rows, spec, target, "xgboost", str(source))
        prep = fitted_preprocessor(spec, frame)
        fit, val = frame.random_split(
            [1 - spec.validation_fraction, spec.validation_fraction], random_state=spec.seed
        )

        def matrix(part: dd.DataFrame) -> xgboost.dask.DaskDMatrix:
            return xgboost.dask.DaskDMatrix(
                client, transformed(prep, part, spec.features), part[target]
            )

        fit_matrix, val_matrix = matrix(fit), matrix(val)

        def objective(trial: optuna.Trial) -> float:
            out = xgboost.dask.train(
                client,
                booster_params(search_space(trial), spec, cluster.threads_per_worker),
                fit_matrix,
                num_boost_round=options.max_estimators,
                evals=[(val_matrix, "validation")],
                early_stopping_rounds=options.early_stopping_rounds,
                verbose_eval=False,
            )
            trial.set_user_attr("n_estimators", int(out["booster"].best_iteration) + 1)
            return float(out["booster"].best_score)

        study = new_study(options, spec.seed)
        study.optimize(objective, n_trials=options.n_trials, timeout=options.timeout_s)
        n_estimators = study.best_trial.user_attrs["n_estimators"]
        final = xgboost.dask.train(
            client,
            booster_params(study.best_trial.params, spec, cluster.threads_per_worker),
            matrix(frame),
            num_boost_round=n_estimators,
        )["booster"]
    model = regressor(study.best_trial.params, options, spec.seed, n_estimators=n_estimators)
    model.load_model(bytearray(final.save_raw("json")))
    info = search_info(study, options, n_estimators) | {"engine": "dask"}
    return Fitted(Pipeline([("prep", prep), ("model", model)]), info), rows
