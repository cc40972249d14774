"""check stage: deepchecks drift and integrity checks of the current batch; an optional gate.

The gate file is what the prepare stage depends on: it is written unless a condition
failed with ``check.on_fail: stop``, so DVC never trains on data the checks refused.
"""

from co2mix.startup import prepare_stage_process

prepare_stage_process()  # before any heavy import (co2mix/startup.py says why)

# isort: split
import sys

from co2mix.core import paths, records
from co2mix.core.io import staged_outputs
from co2mix.core.params_file import load_params
from co2mix.core.stage import run_stage
from co2mix.data.batches import read_raw_batches
from co2mix.data.check_report import report_html
from co2mix.data.checks import run_checks


def main() -> None:
    params = load_params()
    batches, truth = read_raw_batches(params)

    outcome = run_checks(
        batches["reference"], batches["current"], params.data, params.check, params.detect, truth
    )
    stop = outcome.failed and params.check.on_fail == "stop"
    with staged_outputs() as out:
        out.text(report_html(outcome.check_results), paths.CHECK_HTML)
        records.write(out, paths.CHECK_METRICS, outcome.metrics)
        if not stop:
            out.text("the checks let the pipeline proceed\n", paths.CHECK_GATE)

    metrics = outcome.metrics
    if "outliers" in metrics:
        found = metrics["outliers"]
        worst = [row["id"] for row in found["worst"]]
        print(
            f"check: implausible rows: {found['current_rows']} current (worst ids {worst}), "
            f"{found['reference_rows']} reference"
        )
    for column, levels in metrics.get("new_levels", {}).items():
        print(f"check: {column}: new levels never in the reference (rows): {levels}")
    print(
        f"check: drift detected: {metrics['drift_detected']} "
        f"(features {metrics['drifted_features'] or 'none'}, "
        f"labels {metrics['drifted_labels'] or 'none'}); integrity ok: {metrics['integrity_ok']}"
    )
    for failed in metrics["failed_conditions"]:
        print(f"check: failed: {failed}")
    if stop:
        paths.CHECK_GATE.unlink(missing_ok=True)
        print(
            f"check: stopping the pipeline (check.on_fail = stop); "
            f"see {paths.CHECK_HTML} and {paths.CHECK_METRICS}",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    run_stage("check", main)
