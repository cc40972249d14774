"""train stage (one cell of the DVC matrix): python stages/train.py <model>.

A cell is a registered model, fitted for every target (side by side on ``train.jobs``
threads): the linear fits take milliseconds, and one process per (target, model) spent
two seconds of interpreter start-up on each.
"""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
import sys

from co2mix.core import paths, records
from co2mix.core.errors import InputError
from co2mix.core.io import staged_outputs, write_timing
from co2mix.core.params_file import load_params
from co2mix.core.schemas import TrainMetrics
from co2mix.core.stage import run_stage
from co2mix.modeling.store import save_model
from co2mix.modeling.train import train_cell


def main() -> None:
    if len(sys.argv) != 2:
        raise InputError("usage: python stages/train.py <model>")
    model = sys.argv[1]
    params = load_params()
    results = train_cell(params, paths.TRAIN, model)

    with staged_outputs() as out:
        for target, result in results.items():
            save_model(out, result.fitted.pipeline, target, model)
        metrics = {target: result.metrics for target, result in results.items()}
        records.write(out, paths.train_metrics(model), metrics, dict[str, TrainMetrics])
    for target, result in results.items():
        write_timing(paths.timing(f"train-{target}-{model}"), {"fit": result.seconds})
        rmse = result.metrics["validation_rmse"]
        if rmse is None:
            print(f"train {target} {model}: FAILED: {result.metrics.get('failed')}")
            continue
        print(f"train {target} {model}: validation RMSE {rmse:.4f}, fit {result.seconds:.1f} s")


if __name__ == "__main__":
    run_stage("train", main)
