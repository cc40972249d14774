"""generate stage: simulate the plant's reference and current batches with their truth."""

from co2mix.cli import run_stage
from co2mix.io import staged_outputs
from co2mix.params import load_params
from co2mix.simulate import generate, summarize


def main() -> None:
    params = load_params().generate
    data = generate(params)
    metrics = summarize(data)
    with staged_outputs() as out:
        out.parquet(data.reference, "data/raw/reference.parquet")
        out.parquet(data.current, "data/raw/current.parquet")
        out.json(data.truth, "data/raw/truth.json", compact=True)
        out.json(metrics, "metrics/generate.json")
    ref, cur = metrics["reference"], metrics["current"]
    print(
        f"generate: reference {ref['rows']} rows, current {cur['rows']} rows "
        f"(scenario {metrics['scenario']}, drifted: {metrics['drifted_features'] or 'none'})"
    )


if __name__ == "__main__":
    run_stage("generate", main)
