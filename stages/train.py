"""train stage (one cell of the DVC matrix): python stages/train.py <target> <model>."""

import sys
import time

from co2mix.core import paths, records
from co2mix.core.errors import InputError
from co2mix.core.io import staged_outputs, write_timing
from co2mix.core.params_file import load_params
from co2mix.core.schemas import TrainMetrics
from co2mix.core.stage import run_stage
from co2mix.modeling.store import save_model
from co2mix.modeling.train import train_cell


def main() -> None:
    if len(sys.argv) != 3:
        raise InputError("usage: python stages/train.py <target> <model>")
    target, model = sys.argv[1], sys.argv[2]
    params = load_params()
    start = time.perf_counter()
    result = train_cell(params, paths.TRAIN, target, model)
    seconds = time.perf_counter() - start

    with staged_outputs() as out:
        save_model(out, result.fitted.pipeline, target, model)
        records.write(out, paths.train_metrics(target, model), result.metrics, TrainMetrics)
    write_timing(paths.timing(f"train-{target}-{model}"), {"fit": seconds})
    rmse = result.metrics["validation_rmse"]
    print(f"train {target} {model}: validation RMSE {rmse:.4f}, fit {seconds:.1f} s")


if __name__ == "__main__":
    run_stage("train", main)
