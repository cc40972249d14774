"""The pull-request report: what a branch changed and what it did to the results.

``python -m co2mix.reporting --base origin/main [--out report.md]`` writes Markdown built
from DVC's own diffs (``dvc params diff`` and ``dvc metrics diff`` against the base,
as JSON), plus what the metrics files say, read through their schemas: the drift
summary, the champions, the optimizer table, which stages were re-run (their
``dvc.lock`` entries differ from the base's) and plots as Mermaid blocks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from co2mix.core import paths, records
from co2mix.core.errors import InputError, ReportError
from co2mix.core.schemas import CheckMetrics, EvaluateMetrics, RefreshMetrics
from co2mix.core.schemas_forecast import ForecastMetrics
from co2mix.core.schemas_optimize import OptimizeMetrics
from co2mix.reporting.charts import plots_section
from co2mix.reporting.datasets import datasets_section
from co2mix.reporting.forecast_section import forecast_section
from co2mix.reporting.sections import (
    champions_section,
    drift_section,
    fresh_section,
    metrics_section,
    optimizer_section,
    params_section,
    refresh_section,
    stages_section,
)
from co2mix.reporting.sources import dvc_json, git_file, git_head, resolve_base

WATERMARK = "co2mix report"


def build_report(base: str, root: Path = Path(".")) -> str:
    root = root.resolve()
    sha = resolve_base(base, root)

    def at_base(path: Path, schema: type[records.Record]) -> records.Record | None:
        """The base's record; None when it has none or one of an older shape."""
        try:
            return records.parse_text(git_file(sha, str(path), root), schema, f"{base}:{path}")
        except InputError:
            return None

    evaluate_now = records.read(paths.EVALUATE_METRICS, EvaluateMetrics, root)
    lines = [
        f"# {WATERMARK}: {git_head(root)} against {base} ({sha[:8]})",
        "",
        *stages_section(git_file(sha, str(paths.DVC_LOCK), root), root),
        *params_section(dvc_json(["params", "diff", sha], root)),
        *champions_section(at_base(paths.EVALUATE_METRICS, EvaluateMetrics), evaluate_now),
        *drift_section(
            at_base(paths.CHECK_METRICS, CheckMetrics),
            records.read(paths.CHECK_METRICS, CheckMetrics, root),
        ),
        *fresh_section(evaluate_now),
        *refresh_section(records.read(paths.REFRESH_METRICS, RefreshMetrics, root)),
        *optimizer_section(records.read(paths.OPTIMIZE_METRICS, OptimizeMetrics, root)),
        *forecast_section(records.read(paths.FORECAST_METRICS, ForecastMetrics, root), root),
        *datasets_section(root, at_base),
        *metrics_section(dvc_json(["metrics", "diff", sha, "--all"], root), sha),
        *plots_section(root, list(evaluate_now or {})),
    ]
    return "\n".join(lines).rstrip() + "\n"


def report_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m co2mix.reporting", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    parser.add_argument("--out", type=Path, help="write the Markdown here (default: stdout)")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.base)
    except (ReportError, InputError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    if args.out:
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(report)
        tmp.replace(args.out)
    else:
        sys.stdout.write(report)
    return 0
