"""check stage: deepchecks drift and integrity checks of the current batch; an optional gate."""

import json
import sys
from pathlib import Path

import pandas as pd

from co2mix.checks import report_html, run_checks, validate_columns
from co2mix.cli import run_stage
from co2mix.io import staged_outputs
from co2mix.params import load_params

RAW = Path("data/raw")


def main() -> None:
    params = load_params()
    reference = pd.read_parquet(RAW / "reference.parquet")
    current = pd.read_parquet(RAW / "current.parquet")
    for frame, name in ((reference, "reference"), (current, "current")):
        source = str(RAW / f"{name}.parquet")
        validate_columns(frame, params.data, params.check, params.detect, source)
    truth_path = RAW / "truth.json"
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else None

    outcome = run_checks(reference, current, params.data, params.check, params.detect, truth)
    with staged_outputs() as out:
        out.text(report_html(outcome), "data/reports/check.html")
        out.json(outcome.metrics, "metrics/check.json")

    metrics = outcome.metrics
    print(
        f"check: drift detected: {metrics['drift_detected']} "
        f"(features {metrics['drifted_features'] or 'none'}, "
        f"labels {metrics['drifted_labels'] or 'none'}); integrity ok: {metrics['integrity_ok']}"
    )
    for failed in metrics["failed_conditions"]:
        print(f"check: failed: {failed}")
    if outcome.failed and params.check.on_fail == "stop":
        print("check: stopping the pipeline (check.on_fail = stop)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    run_stage("check", main)
