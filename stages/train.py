"""train stage (one cell of the DVC matrix): python stages/train.py <target> <model>."""

import sys
import time
from pathlib import Path

import joblib

from co2mix.cli import InputError, run_stage
from co2mix.io import model_path, read_parquet, staged_outputs
from co2mix.params import load_params
from co2mix.train import train_one

TRAIN = Path("data/prepared/train.parquet")


def main() -> None:
    if len(sys.argv) != 3:
        raise InputError("usage: python stages/train.py <target> <model>")
    target, model = sys.argv[1], sys.argv[2]
    params = load_params()
    train = read_parquet(TRAIN, stage_hint="prepare")
    start = time.perf_counter()
    result = train_one(params, train, target, model, str(TRAIN))
    seconds = time.perf_counter() - start

    path = model_path("data/models", target, model)
    with staged_outputs() as out:
        joblib.dump(result.fitted.pipeline, out.path_for(path))
        booster = getattr(result.fitted.pipeline.named_steps["model"], "get_booster", None)
        if booster is not None:  # XGBoost: also its native, version-portable format
            booster().save_model(out.path_for(path.with_suffix(".json"), suffix=".json"))
        out.json(result.metrics, f"metrics/train/{target}-{model}.json")
    # Wall-clock time changes every run: printed and kept beside the data, never in metrics/.
    Path("data/reports/timings").mkdir(parents=True, exist_ok=True)
    Path(f"data/reports/timings/train-{target}-{model}.txt").write_text(f"{seconds:.3f}\n")
    rmse = result.metrics["validation_rmse"]
    print(f"train {target} {model}: validation RMSE {rmse:.4f}, fit {seconds:.1f} s")


if __name__ == "__main__":
    run_stage("train", main)
