"""prepare stage: clean the raw batches, split train/test, impute missing readings."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
from co2mix.core import paths, records
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import load_params
from co2mix.core.stage import run_stage
from co2mix.data.batches import read_raw_batches
from co2mix.data.clean import prepare


def main() -> None:
    params = load_params()
    batches, truth = read_raw_batches(params, check_features=False)

    result = prepare(batches, params.data, params.detect, params.prepare, truth)
    with staged_outputs() as out:
        out.parquet(result.train, paths.TRAIN)
        out.parquet(result.test, paths.TEST)
        out.parquet(result.fresh, paths.FRESH)
        records.write(out, paths.PREPARE_METRICS, result.metrics)
    rows = result.metrics["rows_out"]
    print(
        f"prepare: {rows['train']} train and {rows['test']} test rows ({params.prepare.use}); "
        f"{rows['fresh']} fresh rows ({result.metrics['fresh']})"
    )


if __name__ == "__main__":
    run_stage("prepare", main)
