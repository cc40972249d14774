"""ingest stage: a CSV file (params section ``ingest``) as the reference and current batches.

The first stage of a CSV profile (``profiles/<name>/dvc.yaml``), in place of generate:
the same outputs but truth.json, which only a simulator can write.
"""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
from co2mix.core import paths, records
from co2mix.core.contracts import check_frame
from co2mix.core.errors import ParamsError
from co2mix.core.io import staged_outputs
from co2mix.core.params import CsvParams
from co2mix.core.params_file import load_params
from co2mix.core.stage import run_stage
from co2mix.data.ingest import ingest


def main() -> None:
    params = load_params()
    if not isinstance(params, CsvParams):
        raise ParamsError(
            "params.yaml: the ingest stage needs data.source: csv and an ingest section"
        )
    result = ingest(params)
    for side, frame in (("reference", result.reference), ("current", result.current)):
        check_frame(frame, params, f"{params.ingest.path} ({side} rows after ingest)")
    with staged_outputs() as out:
        out.parquet(result.reference, paths.REFERENCE)
        out.parquet(result.current, paths.CURRENT)
        records.write(out, paths.INGEST_METRICS, result.metrics)
    m = result.metrics
    removed = sum(m["rows_removed_by_filter"].values())
    print(
        f"ingest: {m['rows_read']} rows read from {m['file']}, {removed} filtered out; "
        f"{m['rows']['reference']} reference (train) and {m['rows']['current']} current (test) "
        f"rows, split {m['split']}"
    )


if __name__ == "__main__":
    run_stage("ingest", main)
