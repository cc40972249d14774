"""The XGBoost search with and without Optuna's median pruner, on the prepared training
rows of the default pipeline (run ``make repro`` first): seconds, completed and pruned
trials, best validation RMSE. One search at a time, both targets.

    python bench/bench_xgboost_search.py
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from co2mix.core import paths
from co2mix.core.io import read_parquet
from co2mix.core.params_file import load_params
from co2mix.modeling.search import tune_xgboost
from co2mix.modeling.train import fit_spec

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    os.chdir(ROOT)  # the pipeline's paths are relative to the project root
    params = load_params()
    train = read_parquet(paths.TRAIN, stage_hint="prepare")
    print("| target | pruning | seconds | trials completed / pruned | best validation RMSE |")
    print("|---|---|---:|---:|---:|")
    for target in params.data.targets:
        spec = fit_spec(params, target, "xgboost")
        for pruning in (False, True):
            options = spec.options.model_copy(update={"pruning": pruning})
            start = time.perf_counter()
            fitted = tune_xgboost(
                replace(spec, options=options), train[spec.features], train[target]
            )
            seconds = time.perf_counter() - start
            info = fitted.info
            trials = f"{info.get('trials')} / {info.get('trials_pruned')}"
            print(
                f"| {target} | {pruning} | {seconds:.1f} | {trials} | {info['validation_rmse']} |"
            )


if __name__ == "__main__":
    main()
