"""Seconds of the check and prepare logic at the default sizes and at 1e6 reference rows.

At 1e6 rows deepchecks sees ``check.sample_rows`` rows per batch (default 50,000); the
stuck-sensor and spike checks always scan the whole current batch.
Usage: python bench/bench_check_speed.py [reference_rows ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main(sizes: list[int]) -> None:
    from co2mix.core.params_file import parse_params
    from co2mix.data.check_report import report_html
    from co2mix.data.checks import run_checks
    from co2mix.data.clean import prepare
    from co2mix.simulate.dataset import generate

    header = ("reference", "current", "checked", "check s", "html s", "prepare s")
    print(" ".join(f"{h:>10}" for h in header))
    for rows in sizes:
        raw = yaml.safe_load((ROOT / "params.yaml").read_text())
        raw["generate"]["reference"]["rows"] = rows
        params = parse_params(raw)
        data = generate(params.generate, params.data)
        start = time.perf_counter()
        outcome = run_checks(
            data.reference, data.current, params.data, params.check, params.detect, data.truth
        )
        checked = time.perf_counter()
        report_html(outcome.check_results)
        rendered = time.perf_counter()
        batches = {"reference": data.reference, "current": data.current}
        prepare(batches, params.data, params.detect, params.prepare, data.truth)
        prepared = time.perf_counter()
        checked_rows = outcome.metrics["rows"]["reference_checked"]
        figures = (rows, len(data.current), checked_rows)
        seconds = (checked - start, rendered - checked, prepared - rendered)
        print(" ".join(f"{f:>10}" for f in figures), " ".join(f"{s:>10.1f}" for s in seconds))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 1_000_000])
