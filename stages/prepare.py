"""prepare stage: clean the raw batches, split train/test, impute missing readings."""

from co2mix.clean import prepare
from co2mix.cli import run_stage
from co2mix.io import read_raw_batches, staged_outputs
from co2mix.params import load_params


def main() -> None:
    params = load_params()
    batches, truth = read_raw_batches(params, check_features=False)

    result = prepare(batches, params.data, params.detect, params.prepare, truth)
    with staged_outputs() as out:
        out.parquet(result.train, "data/prepared/train.parquet")
        out.parquet(result.test, "data/prepared/test.parquet")
        out.json(result.metrics, "metrics/prepare.json")
    rows = result.metrics["rows_out"]
    print(f"prepare: {rows['train']} train and {rows['test']} test rows ({params.prepare.use})")


if __name__ == "__main__":
    run_stage("prepare", main)
