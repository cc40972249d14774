"""``train.engine: dask``: XGBoost trained through xgboost.dask on a 2-worker cluster on
127.0.0.1, reading the parquet in partitions, against the local engine on the same rows."""

from __future__ import annotations

import os

import dask
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster, get_task_stream
from sklearn.metrics import root_mean_squared_error
from xgboost import XGBRegressor

from co2mix.core.errors import InputError, ParamsError
from co2mix.modeling.train import train_cell

TARGET = "strength_mpa"
ONLY_STRENGTH = {  # a train cell fits every target: these rows have only the one
    "data.targets": [TARGET],
    "train.features": {
        TARGET: [
            *["cement", "slag", "fly_ash", "water", "superplasticizer", "coarse_agg"],
            *["age_days", "curing_temp_c", "cement_supplier"],
        ]
    },
}
SEARCH = ONLY_STRENGTH | {
    "train.xgboost.n_trials": 4,  # TPE's first trials are seeded random draws: the same
    "train.xgboost.pruning": False,  # parameters for both engines
    "train.xgboost.max_estimators": 400,
    "train.xgboost.early_stopping_rounds": 20,
}


def plant_like_rows(n: int, seed: int) -> pd.DataFrame:
    """Strength falls with w/b and rises with age (Abrams), with a supplier category."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "cement": rng.uniform(200, 450, n),
            "slag": rng.uniform(0, 200, n),
            "fly_ash": rng.uniform(0, 100, n),
            "water": rng.uniform(150, 200, n),
            "superplasticizer": rng.uniform(0, 4, n),
            "coarse_agg": rng.uniform(950, 1050, n),
            "age_days": rng.choice([3, 7, 28, 56], n).astype(float),
            "curing_temp_c": rng.uniform(5, 25, n),
            "cement_supplier": rng.choice(["A", "B", "C"], n),
        }
    )
    wb = frame["water"] / (frame["cement"] + 0.8 * frame["slag"] + 0.4 * frame["fly_ash"])
    strength = 96 / 7**wb * np.exp(0.25 * (1 - np.sqrt(28 / frame["age_days"])))
    frame[TARGET] = strength + np.where(frame["cement_supplier"] == "C", -3.0, 0.0)
    frame[TARGET] += rng.normal(0, 1.0, n)
    return frame


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """Training rows as a parquet file of four row groups (four partitions), test rows."""
    folder = tmp_path_factory.mktemp("dask")
    train = plant_like_rows(4000, seed=1)
    path = folder / "train.parquet"
    train.to_parquet(path, row_group_size=1000)
    return path, train, plant_like_rows(1000, seed=2)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes on 127.0.0.1, reached the way a team's cluster would be:
    through dask's DASK_SCHEDULER_ADDRESS setting. The cluster sets *_NUM_THREADS=1 in
    this process's environment: put back, or later tests' stage processes would inherit it."""
    environ = dict(os.environ)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as local,
        Client(local) as client,
        dask.config.set({"scheduler-address": local.scheduler_address}),
    ):
        yield client
    os.environ.clear()
    os.environ.update(environ)


def test_without_a_scheduler_address_it_starts_its_own_cluster_and_refuses_unseen_suppliers(
    make_all_params, rows
):
    assert dask.config.get("scheduler-address", None) is None  # runs before the fixture's
    path, _, test = rows
    environ = dict(os.environ)
    result = train_cell(
        make_all_params(**(SEARCH | {"train.engine": "dask", "train.xgboost.n_trials": 1})),
        path,
        "xgboost",
    )[TARGET]
    features = make_all_params().train.features[TARGET]
    unseen = test[features].head(1).assign(cement_supplier="Z")
    with pytest.raises(ValueError, match="cement_supplier"):
        result.fitted.pipeline.predict(unseen)
    assert dict(os.environ) == environ  # the LocalCluster's thread settings did not leak


def test_the_dask_engine_trains_on_both_workers_within_2_percent_of_local(
    make_all_params, rows, cluster
):
    path, train, test = rows
    features = make_all_params().train.features[TARGET]
    local = train_cell(make_all_params(**SEARCH), path, "xgboost")[TARGET]
    with get_task_stream(cluster) as tasks:
        dask_result = train_cell(
            make_all_params(**SEARCH, **{"train.engine": "dask"}), path, "xgboost"
        )[TARGET]
    assert len({task["worker"] for task in tasks.data}) == 2  # both workers did work

    assert dask_result.metrics["engine"] == "dask" and "engine" not in local.metrics
    assert dask_result.metrics["rows"] == local.metrics["rows"] == len(train)
    assert dask_result.metrics["trials"] == 4
    pipeline = dask_result.fitted.pipeline
    assert isinstance(pipeline.named_steps["model"], XGBRegressor)  # saved like the local one
    assert (
        pipeline.named_steps["model"].get_booster().num_boosted_rounds()
        == (dask_result.metrics["best_params"]["n_estimators"])
    )
    rmse = {
        name: root_mean_squared_error(test[TARGET], result.fitted.pipeline.predict(test[features]))
        for name, result in (("local", local), ("dask", dask_result))
    }
    assert rmse["local"] < 1.3  # the noise is 1.0 MPa: both learnt the plant
    print(f"test RMSE local {rmse['local']:.4f}, dask {rmse['dask']:.4f}")
    assert abs(rmse["dask"] / rmse["local"] - 1) <= 0.02, rmse


@pytest.mark.parametrize(
    ("updates", "message"),
    [
        ({"train.xgboost.pruning": True}, r"train\.xgboost\.pruning = true needs train\.engine"),
        ({"train.target_transform": {TARGET: "log"}}, r"train\.target_transform needs"),
        ({"train.xgboost.parallel_trials": 2}, r"train\.xgboost\.parallel_trials = 2 needs"),
    ],
)
def test_what_the_dask_engine_cannot_honour_is_refused_naming_the_key(
    make_all_params, rows, updates, message
):
    params = make_all_params(**(SEARCH | {"train.engine": "dask"} | updates))
    with pytest.raises(ParamsError, match=message):
        train_cell(params, rows[0], "xgboost")


def test_a_missing_parquet_is_named(make_all_params, tmp_path):
    params = make_all_params(**{"train.engine": "dask"}, **SEARCH)
    with pytest.raises(InputError, match=r"train\.parquet: file not found"):
        train_cell(params, tmp_path / "train.parquet", "xgboost")
