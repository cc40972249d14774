"""The pull-request report: what a branch changed and what it did to the results.

``python -m co2mix.report --base origin/main [--out report.md]`` writes Markdown built
from DVC's own diffs (``dvc params diff`` and ``dvc metrics diff`` against the base,
as JSON), plus what the committed metrics files say: the drift summary, the optimizer
table, which stages were re-run (their ``dvc.lock`` entries differ from the base's)
and plots as Mermaid ``xychart-beta`` blocks, which GitHub renders in a comment
without uploading any image.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from co2mix.optimize.benchmark import optimizer_table

WATERMARK = "co2mix report"
MISSING = "—"
# Metrics shown whether or not they changed; every other change is listed too, folded.
KEY_METRICS = {
    "metrics/evaluate.json": r"^[^.]+\.models\.[^.]+\.(rmse|rmse_over_sigma|r2)$",
    "metrics/check.json": r"^(multivariate_drift\.score|label_drift\.[^.]+\.score|drift_detected"
    r"|integrity_ok)$",
    "metrics/optimize.json": r"^(feasible|answer\.(true_co2_kg_m3|true_strength_mpa|reduction_pct"
    r"|gap_to_optimum_pct)|optimizers\.[^.]+\.(reduction_pct|gap_to_optimum_pct))$",
    "metrics/prepare.json": r"^rows\.",
    "metrics/train/": r"^validation_rmse$",
}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
COLOUR_NAMES = ("blue", "orange", "green", "red", "purple")


class ReportError(RuntimeError):
    """The report cannot be made (bad base ref, DVC failing); the message says why."""


# ------------------------------------------------------------------ reading


def _run(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)


def resolve_base(base: str, root: Path) -> str:
    """The base commit's hash; a ref git does not know is a :class:`ReportError`."""
    result = _run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], root)
    if result.returncode != 0:
        raise ReportError(
            f"--base {base!r}: not a commit in this repository "
            "(fetch it first, e.g. git fetch origin main, or pass a branch, tag or hash)"
        )
    return result.stdout.strip()


def dvc_json(args: list[str], root: Path) -> dict[str, Any]:
    """Run ``dvc <args> --json``; DVC's own diff machinery, parsed."""
    result = _run([sys.executable, "-m", "dvc", *args, "--json"], root)
    if result.returncode != 0:
        raise ReportError(f"dvc {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout or "{}")


def git_file(rev: str, path: str, root: Path) -> str | None:
    """A file's text at ``rev``, or None when the base has no such file."""
    result = _run(["git", "show", f"{rev}:{path}"], root)
    return result.stdout if result.returncode == 0 else None


def _json_or_none(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None


def read_current(root: Path, path: str) -> Any:
    file = root / path
    return _json_or_none(file.read_text()) if file.exists() else None


# ------------------------------------------------------------------ formatting


def fmt(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value) or "[]"
    return str(value)


def delta(old: Any, new: Any) -> str:
    numbers = (int, float)
    if old is None and new is not None:
        return "new"
    if new is None and old is not None:
        return "removed"
    if isinstance(old, bool) or isinstance(new, bool):
        return "changed" if old != new else ""
    if isinstance(old, numbers) and isinstance(new, numbers):
        diff = new - old
        if diff == 0:
            return "0"
        pct = f" ({100 * diff / abs(old):+.1f} %)" if old else ""
        return f"{diff:+.4g}{pct}"
    return ""


def table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


# ------------------------------------------------------------------ sections


def params_section(diff: dict[str, Any]) -> list[str]:
    changes = [
        (f"{file}: {k}" if file != "params.yaml" else k, v)
        for file, params in diff.items()
        for k, v in sorted(params.items())
    ]
    lines = ["## Params", ""]
    if not changes:
        return [*lines, "No params changed against the base.", ""]
    rows = [[f"`{k}`", fmt(v.get("old")), fmt(v.get("new"))] for k, v in changes]
    return [*lines, *table(["param", "base", "this branch"], rows), ""]


def _is_key(path: str, metric: str) -> bool:
    for prefix, pattern in KEY_METRICS.items():
        if path.startswith(prefix) and re.search(pattern, metric):
            return True
    return False


def metrics_section(diff: dict[str, Any], base_sha: str) -> list[str]:
    lines = ["## Metrics", ""]
    if not diff:
        return [*lines, "No metrics files found (run `dvc repro`).", ""]
    for path in sorted(diff):
        values = diff[path]
        base_missing = all(v.get("old") is None for v in values.values())
        branch_missing = all(v.get("new") is None for v in values.values())
        key_rows, other_rows = [], []
        for metric, v in sorted(values.items()):
            old, new = v.get("old"), v.get("new")
            row = [f"`{metric}`", fmt(old), fmt(new), delta(old, new)]
            if _is_key(path, metric):
                key_rows.append(row)
            elif old != new:
                other_rows.append(row)
        changed = sum(1 for v in values.values() if v.get("old") != v.get("new"))
        lines.append(f"### `{path}`: {changed} of {len(values)} changed")
        if base_missing:
            lines.append("")
            lines.append(f"The base ({base_sha[:8]}) has no `{path}`: every value is new.")
        if branch_missing:
            lines.append("")
            lines.append(f"This branch has no `{path}` (not reproduced? run `dvc repro`).")
        header = ["metric", "base", "this branch", "delta"]
        if key_rows:
            lines += ["", *table(header, key_rows)]
        if other_rows:
            lines += ["", f"<details><summary>{len(other_rows)} more changed</summary>", ""]
            lines += [*table(header, other_rows), "", "</details>"]
        lines.append("")
    return lines


def champions_section(base: dict | None, current: dict | None) -> list[str]:
    if not current:
        return []
    rows = []
    for target, now in current.items():
        before = (base or {}).get(target, {})
        rows.append(
            [
                target,
                before.get("champion", MISSING),
                now["champion"],
                fmt(now["models"][now["champion"]].get("rmse")),
                fmt(now["models"][now["champion"]].get("rmse_over_sigma")),
            ]
        )
    header = ["target", "champion (base)", "champion (this branch)", "RMSE", "RMSE / sigma"]
    return ["## Champions", "", *table(header, rows), ""]


def drift_section(base: dict | None, current: dict | None) -> list[str]:
    lines = ["## Data checks (deepchecks)", ""]
    if not current:
        return [*lines, "No `metrics/check.json` on this branch.", ""]
    failed = current.get("failed_conditions") or []
    verdict = "**drift detected**" if current.get("drift_detected") else "no drift detected"
    integrity = "integrity ok" if current.get("integrity_ok") else "**integrity failed**"
    lines.append(f"Current batch against reference: {verdict}; {integrity}.")
    lines.append("")
    lines.append(f"- drifted features: {fmt(current.get('drifted_features'))}")
    lines.append(f"- drifted labels: {fmt(current.get('drifted_labels'))}")
    mv = current.get("multivariate_drift", {})
    lines.append(
        f"- multivariate drift score: {fmt(mv.get('score'))} (threshold {fmt(mv.get('threshold'))})"
    )
    if base is not None:
        lines.append(
            f"- base: drifted features {fmt(base.get('drifted_features'))}, "
            f"labels {fmt(base.get('drifted_labels'))}"
        )
    if failed:
        lines += ["", "Failed conditions:", ""]
        lines += [
            f"- {c.get('check', '?')}: {c.get('condition', '')}"
            if isinstance(c, dict)
            else f"- {c}"
            for c in failed
        ]
    return [*lines, ""]


def optimizer_section(current: dict | None) -> list[str]:
    lines = ["## Optimizer benchmark", ""]
    if not current:
        return [*lines, "No `metrics/optimize.json` on this branch.", ""]
    if not current.get("feasible"):
        return [*lines, f"**Infeasible**: {current.get('reason', 'no feasible mix')}", ""]
    answer = current["answer"]
    lines.append(
        f"Answer ({current['surrogate']} + {answer['optimizer']}, target "
        f"{fmt(current['strength_target_mpa'])} MPa): true CO2 {fmt(answer['true_co2_kg_m3'])} "
        f"kg/m3, {fmt(answer['reduction_pct'])} % below the reference mix, true strength "
        f"{fmt(answer['true_strength_mpa'])} MPa, {fmt(answer['gap_to_optimum_pct'])} % above "
        "the true optimum."
    )
    lines += ["", *optimizer_table(current), ""]
    rows = []
    for name, variants in current.get("surrogates", {}).items():
        for variant, m in variants.items():
            rows.append(
                [
                    f"{name} ({variant.replace('_', ' ')})",
                    fmt(m.get("predicted_strength_mpa")),
                    fmt(m.get("true_strength_min_mpa")),
                    fmt(m.get("true_co2_kg_m3")),
                    fmt(m.get("gap_to_optimum_pct")),
                    f"{m['truly_feasible_runs']}/{m['runs']}",
                ]
            )
    header = [
        "surrogate (DE)",
        "predicted strength",
        "true strength (min)",
        "true CO2",
        "gap %",
        "truly feasible",
    ]
    lines += [
        "<details><summary>Every surrogate, with and without the remedies</summary>",
        "",
        *table(header, rows),
        "",
        "</details>",
        "",
    ]
    return lines


def stages_section(base_lock: str | None, root: Path) -> list[str]:
    """Re-run: a stage whose dvc.lock entry differs from the base's; the rest came from cache."""
    lines = ["## Stages", ""]
    lock_file = root / "dvc.lock"
    if not lock_file.exists():
        return [*lines, "No `dvc.lock` on this branch: the pipeline has not been run.", ""]
    current = yaml.safe_load(lock_file.read_text()).get("stages", {})
    base = (yaml.safe_load(base_lock) or {}).get("stages", {}) if base_lock else {}
    rerun = [s for s in current if s in base and current[s] != base[s]]
    new = [s for s in current if s not in base]
    same = [s for s in current if s in base and current[s] == base[s]]
    lines.append(f"- re-run (inputs changed): {', '.join(rerun) or 'none'}")
    lines.append(f"- not re-run (unchanged, outputs from the cache): {', '.join(same) or 'none'}")
    if new:
        lines.append(f"- new against the base (not in its dvc.lock): {', '.join(new)}")
    return [*lines, ""]


# ------------------------------------------------------------------ plots


def _mermaid(
    title: str, x_label: str, x: list[Any], y_label: str, series: list[tuple[str, str, list[float]]]
) -> list[str]:
    """An xychart-beta block; colours are listed below it because the chart has no legend."""
    values = [v for _, _, s in series for v in s]
    low, high = min(values), max(values)
    pad = 0.05 * (high - low or 1.0)
    palette = ", ".join(PALETTE[: len(series)])
    lines = [
        "```mermaid",
        f'%%{{init: {{"themeVariables": {{"xyChart": {{"plotColorPalette": "{palette}"}}}}}}}}%%',
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "{x_label}" [{", ".join(json.dumps(str(v)) for v in x)}]',
        f'    y-axis "{y_label}" {low - pad:.4g} --> {high + pad:.4g}',
    ]
    lines += [f"    {kind} [{', '.join(f'{v:.4g}' for v in s)}]" for kind, _, s in series]
    legend = "; ".join(f"{COLOUR_NAMES[i]}: {name}" for i, (_, name, _) in enumerate(series))
    return [*lines, "```", f"<sub>{legend}</sub>", ""]


def predicted_vs_actual(path: Path, target: str, bins: int = 10) -> list[str]:
    """Binned calibration: mean prediction per bin of the actual value (xychart has no scatter)."""
    frame = pd.read_csv(path)
    edges = pd.qcut(frame["actual"], bins, duplicates="drop")
    grouped = frame.groupby(edges, observed=True)[["actual", "predicted"]].mean()
    labels = [f"{v:.0f}" for v in grouped["actual"]]
    return _mermaid(
        f"Champion {target}: predicted vs actual (test rows in {len(grouped)} bins)",
        "mean actual per bin",
        labels,
        target,
        [
            ("bar", "mean predicted", list(grouped["predicted"])),
            ("line", "perfect (predicted = actual)", list(grouped["actual"])),
        ],
    )


def convergence(path: Path, points: int = 12) -> list[str]:
    frame = pd.read_csv(path)
    series = [c for c in frame.columns if c != "evaluations" and frame[c].notna().any()]
    frame = frame.dropna(subset=series)
    if frame.empty:
        return []
    step = max(len(frame) // points, 1)
    frame = pd.concat([frame.iloc[::step], frame.iloc[[-1]]]).drop_duplicates("evaluations")
    return _mermaid(
        "Optimizer convergence: best feasible predicted CO2 (median over seeds that found one)",
        "evaluations",
        list(frame["evaluations"]),
        "kg CO2e / m3",
        [("line", name, list(frame[name])) for name in series],
    )


def pareto(path: Path) -> list[str]:
    frame = pd.read_csv(path).dropna()
    if frame.empty:
        return []
    return _mermaid(
        "CO2 of the optimized mix against the strength target",
        "strength target, MPa",
        [f"{v:g}" for v in frame["strength_target_mpa"]],
        "kg CO2e / m3",
        [
            ("line", "predicted (surrogate)", list(frame["predicted_co2"])),
            ("line", "true (simulator)", list(frame["true_co2"])),
            ("line", "true optimum", list(frame["true_optimum_co2"])),
        ],
    )


def plots_section(root: Path, targets: list[str]) -> list[str]:
    lines = ["## Plots", ""]
    for target in targets:
        path = root / f"metrics/plots/evaluate/predictions-{target}.csv"
        if path.exists():
            lines += predicted_vs_actual(path, target)
    for path, draw in (
        (root / "metrics/plots/convergence.csv", convergence),
        (root / "metrics/plots/pareto.csv", pareto),
    ):
        if path.exists():
            lines += draw(path)
    return lines if len(lines) > 2 else []


# ------------------------------------------------------------------ the report


def build_report(base: str, root: Path = Path(".")) -> str:
    root = root.resolve()
    sha = resolve_base(base, root)
    head = _run(["git", "rev-parse", "--short", "HEAD"], root).stdout.strip() or "workspace"
    params = dvc_json(["params", "diff", sha], root)
    metrics = dvc_json(["metrics", "diff", sha, "--all"], root)
    evaluate_now = read_current(root, "metrics/evaluate.json")
    lines = [
        f"# {WATERMARK}: {head} against {base} ({sha[:8]})",
        "",
        *stages_section(git_file(sha, "dvc.lock", root), root),
        *params_section(params),
        *champions_section(
            _json_or_none(git_file(sha, "metrics/evaluate.json", root)), evaluate_now
        ),
        *drift_section(
            _json_or_none(git_file(sha, "metrics/check.json", root)),
            read_current(root, "metrics/check.json"),
        ),
        *optimizer_section(read_current(root, "metrics/optimize.json")),
        *metrics_section(metrics, sha),
        *plots_section(root, list(evaluate_now or {})),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m co2mix.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    parser.add_argument("--out", type=Path, help="write the Markdown here (default: stdout)")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.base)
    except ReportError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    if args.out:
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(report)
        tmp.replace(args.out)
    else:
        sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
