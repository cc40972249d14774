"""check stage: deepchecks drift and integrity checks of the current batch; an optional gate.

The gate file is what the prepare stage depends on: it is written unless a condition
failed with ``check.on_fail: stop``, so DVC never trains on data the checks refused.
"""

import sys
from pathlib import Path

from co2mix.checks import report_html, run_checks
from co2mix.cli import run_stage
from co2mix.io import read_raw_batches, staged_outputs
from co2mix.params import load_params

GATE = Path("data/reports/check-gate.txt")


def main() -> None:
    params = load_params()
    batches, truth = read_raw_batches(params)

    outcome = run_checks(
        batches["reference"], batches["current"], params.data, params.check, params.detect, truth
    )
    stop = outcome.failed and params.check.on_fail == "stop"
    with staged_outputs() as out:
        out.text(report_html(outcome), "data/reports/check.html")
        out.json(outcome.metrics, "metrics/check.json")
        if not stop:
            out.text("the checks let the pipeline proceed\n", GATE)

    metrics = outcome.metrics
    print(
        f"check: drift detected: {metrics['drift_detected']} "
        f"(features {metrics['drifted_features'] or 'none'}, "
        f"labels {metrics['drifted_labels'] or 'none'}); integrity ok: {metrics['integrity_ok']}"
    )
    for failed in metrics["failed_conditions"]:
        print(f"check: failed: {failed}")
    if stop:
        GATE.unlink(missing_ok=True)
        print(
            "check: stopping the pipeline (check.on_fail = stop); "
            "see data/reports/check.html and metrics/check.json",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    run_stage("check", main)
