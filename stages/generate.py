"""generate stage: simulate the plant's reference and current batches with their truth."""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
from pathlib import Path

from co2mix.core import paths, records
from co2mix.core.contracts import read_checked
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import load_params
from co2mix.core.stage import run_stage
from co2mix.plant_params.root import require_plant
from co2mix.simulate.dataset import generate, summarize


def main() -> None:
    params = require_plant(load_params(), "generate")
    current = params.generate.current
    fed = None
    if current.source == "feed":  # the live feed's export (co2mix feed export)
        fed = read_checked(Path(current.feed_file), params, "co2mix feed export")
    data = generate(params.generate, params.data, fed)
    metrics = summarize(data)
    with staged_outputs() as out:
        out.parquet(data.reference, paths.REFERENCE)
        out.parquet(data.current, paths.CURRENT)
        records.write(out, paths.TRUTH, data.truth, compact=True)
        records.write(out, paths.GENERATE_METRICS, metrics)
    ref, cur = metrics["reference"], metrics["current"]
    print(
        f"generate: reference {ref['rows']} rows, current {cur['rows']} rows "
        f"(scenario {metrics['scenario']}, drifted: {metrics['drifted_features'] or 'none'})"
    )


if __name__ == "__main__":
    run_stage("generate", main)
