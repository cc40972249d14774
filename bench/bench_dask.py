"""The XGBoost search through the local engine and through ``train.engine: dask`` (a
2-worker LocalCluster on 127.0.0.1), on the same simulated rows: seconds, test RMSE and
the parent process's peak RSS, per size. Both run the same seeded search (TPE's first
trials are seeded random draws, so both engines try the same parameters).

    python bench/bench_dask.py [rows ...]      # default 100000 1000000
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import yaml
from _child import in_child, run

ROOT = Path(__file__).resolve().parents[1]
SEARCH = {"n_trials": 3, "pruning": False, "max_estimators": 300, "early_stopping_rounds": 20}
TARGET = "strength_mpa"


def measure(rows: int, engine: str) -> dict[str, float]:
    """Seconds, test RMSE and peak RSS (MB) of one engine's search on ``rows`` rows."""
    from sklearn.metrics import root_mean_squared_error

    from co2mix.core.params_file import parse_params
    from co2mix.modeling.train import train_cell
    from co2mix.simulate.dataset import generate

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["generate"]["reference"]["rows"] = rows
    raw["train"]["xgboost"] |= SEARCH
    raw["train"]["engine"] = engine
    raw["data"]["targets"] = [TARGET]  # a train cell fits every target: the bench times one
    raw["train"]["features"] = {TARGET: raw["train"]["features"][TARGET]}
    params = parse_params(raw)
    data = generate(params.generate, params.data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.parquet"
        data.reference.to_parquet(path, row_group_size=100_000)
        del data
        start = time.perf_counter()
        result = train_cell(params, path, "xgboost")[TARGET]
        seconds = time.perf_counter() - start
    test = generate(params.generate.model_copy(update={"seed": 7}), params.data).current
    features = params.train.features[TARGET]
    rmse = root_mean_squared_error(test[TARGET], result.fitted.pipeline.predict(test[features]))
    return {
        "seconds": seconds,
        "test_rmse": float(rmse),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(sizes: list[int]) -> None:
    print("| rows | engine | search + refit s | test RMSE MPa | parent peak RSS MB |")
    print("|---:|---|---:|---:|---:|")
    for rows in sizes:
        results = {engine: in_child(__file__, rows, engine) for engine in ("local", "dask")}
        for engine, r in results.items():
            print(
                f"| {rows:,} | {engine} | {r['seconds']:.1f} | {r['test_rmse']:.4f} | "
                f"{r['peak_rss_mb']:.0f} |"
            )
        ratio = results["dask"]["test_rmse"] / results["local"]["test_rmse"]
        print(f"|  | dask / local RMSE | {ratio:.4f} | | |")


if __name__ == "__main__":
    run(measure, main, [100_000, 1_000_000])
