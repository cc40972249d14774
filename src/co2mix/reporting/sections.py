"""The report's sections, each from a diff or a metrics record read through its schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from co2mix.core import paths
from co2mix.core.schemas import CheckMetrics, EvaluateMetrics, RefreshMetrics
from co2mix.core.schemas_optimize import OptimizeMetrics
from co2mix.reporting.markdown import MISSING, delta, fmt, table

# Metrics shown whether or not they changed; every other change is listed too, folded.
KEY_METRICS = {
    str(paths.EVALUATE_METRICS): r"^[^.]+\.models\.[^.]+\.(rmse|rmse_over_sigma|r2"
    r"|fresh\.(rmse|bias|degradation))$",
    str(paths.CHECK_METRICS): r"^(multivariate_drift\.score|label_drift\.[^.]+\.score"
    r"|drift_detected|integrity_ok)$",
    str(paths.OPTIMIZE_METRICS): r"^(feasible|answer\.(true_co2_kg_m3|true_strength_mpa"
    r"|reduction_pct|gap_to_optimum_pct)|optimizers\.[^.]+\.(reduction_pct|gap_to_optimum_pct))$",
    str(paths.PREPARE_METRICS): r"^(rows_out\.(train|test)|batches\.[^.]+\.(rows_in"
    r"|duplicates_dropped)|imputed_cells\.(train|test))$",
    f"{paths.TRAIN_METRICS}/": r"^[^.]+\.validation_rmse$",  # by target
}


def params_section(diff: dict[str, Any]) -> list[str]:
    changes = [
        (f"{file}: {k}" if file != str(paths.PARAMS) else k, v)
        for file, params in diff.items()
        for k, v in sorted(params.items())
    ]
    lines = ["## Params", ""]
    if not changes:
        return [*lines, "No params changed against the base.", ""]
    rows = [[f"`{k}`", fmt(v.get("old")), fmt(v.get("new"))] for k, v in changes]
    return [*lines, *table(["param", "base", "this branch"], rows), ""]


def _is_key(path: str, metric: str) -> bool:
    path = re.sub(r"^profiles/[^/]+/", "", path)  # a dataset profile's files: the same keys
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


def champions_section(base: EvaluateMetrics | None, current: EvaluateMetrics | None) -> list[str]:
    if not current:
        return []
    rows = []
    for target, now in current.items():
        before = (base or {}).get(target)
        scores = now["models"][now["champion"]]
        rows.append(
            [
                target,
                before["champion"] if before else MISSING,
                now["champion"],
                fmt(scores["rmse"]),
                fmt(scores.get("rmse_over_sigma")),
            ]
        )
    header = ["target", "champion (base)", "champion (this branch)", "RMSE", "RMSE / sigma"]
    failed = [
        f"- **failed**, not published: {target} {name}: {why}"
        for target, now in current.items()
        for name, why in now.get("failed", {}).items()
    ]
    return ["## Champions", "", *table(header, rows), "", *([*failed, ""] if failed else [])]


def drift_section(base: CheckMetrics | None, current: CheckMetrics | None) -> list[str]:
    lines = ["## Data checks (deepchecks)", ""]
    if not current:
        return [*lines, f"No `{paths.CHECK_METRICS}` on this branch.", ""]
    verdict = "**drift detected**" if current["drift_detected"] else "no drift detected"
    integrity = "integrity ok" if current["integrity_ok"] else "**integrity failed**"
    mv = current["multivariate_drift"]
    lines += [
        f"Current batch against reference: {verdict}; {integrity}.",
        "",
        f"- drifted features: {fmt(current['drifted_features'])}",
        f"- drifted labels: {fmt(current['drifted_labels'])}",
        f"- multivariate drift score: {fmt(mv['score'])} (threshold {fmt(mv['threshold'])})",
    ]
    for column, levels in current.get("new_levels", {}).items():
        named = ", ".join(f"`{level}` ({rows} rows)" for level, rows in levels.items())
        lines.append(f"- **new level** of `{column}`, never in the reference: {named}")
    if (outliers := current.get("outliers")) and outliers["current_rows"]:
        worst = ", ".join(f"{row['id']} ({fmt(row['score'])})" for row in outliers["worst"])
        lines.append(
            f"- implausible rows: {outliers['current_rows']} of the current batch "
            f"(worst, by id and score: {worst}); rule: {outliers['rule']}"
        )
    if base is not None:
        lines.append(
            f"- base: drifted features {fmt(base['drifted_features'])}, "
            f"labels {fmt(base['drifted_labels'])}"
        )
    if current["failed_conditions"]:
        lines += ["", "Failed conditions:", ""]
        lines += [f"- {condition}" for condition in current["failed_conditions"]]
    return [*lines, ""]


def fresh_section(current: EvaluateMetrics | None) -> list[str]:
    """Every model on the fresh rows next to its test score: the drift that matters is
    the one that makes the predictions wrong."""
    if not current:
        return []
    rows = []
    for target, now in current.items():
        for name, scores in now["models"].items():
            fresh = scores.get("fresh")
            if fresh is None:
                continue
            rows.append(
                [
                    target,
                    f"**{name}**" if name == now["champion"] else name,
                    fmt(scores["rmse"]),
                    fmt(fresh["rmse"]),
                    fmt(fresh["bias"]),
                    fmt(fresh.get("degradation")),
                    fmt(fresh.get("rmse_over_sigma")),
                ]
            )
    if not rows:
        return []
    header = ["target", "model", "test RMSE", "fresh RMSE", "fresh bias", "x test", "/ sigma"]
    return [
        "## Models on fresh data (the current batch)",
        "",
        "Bias is actual - predicted: negative means the model over-predicts this batch.",
        "",
        *table(header, rows),
        "",
    ]


def refresh_section(current: RefreshMetrics | None) -> list[str]:
    """The retraining decision per target, and both champions on the held-out latest rows."""
    if not current:
        return []
    rows = []
    for target, record in current.items():
        old, new = record.get("reference", {}), record.get("refreshed", {})
        rows.append(
            [
                target,
                record["champion"],
                f"**{record['decision']}**",
                record["reason"],
                fmt(old.get("rmse")),
                fmt(old.get("bias")),
                fmt(new.get("rmse")),
                fmt(new.get("bias")),
            ]
        )
    header = [
        "target",
        "champion",
        "published",
        "why",
        "reference RMSE",
        "bias",
        "refreshed RMSE",
        "bias",
    ]
    policy = next(iter(current.values()))["policy"]
    return [
        f"## Retraining (`refresh.retrain: {policy}`)",
        "",
        "Both champions on the held-out latest fresh rows (the refreshed one learnt the "
        "earlier fresh rows too):",
        "",
        *table(header, rows),
        "",
    ]


OPTIMIZER_HEADER = [
    "optimizer",
    "predicted CO2",
    "true CO2",
    "true strength (min)",
    "reduction %",
    "gap %",
    "evaluations",
    "truly feasible",
]


def optimizer_table(metrics: OptimizeMetrics) -> list[str]:
    """The optimizer table of ``metrics/optimize.json`` as Markdown lines."""
    rows = [
        [
            name,
            m.get("predicted_co2_kg_m3"),
            m.get("true_co2_kg_m3"),
            m.get("true_strength_min_mpa"),
            m.get("reduction_pct"),
            m.get("gap_to_optimum_pct"),
            m["evaluations"],
            f"{m['truly_feasible_runs']}/{m['runs']}",
        ]
        for name, m in metrics.get("optimizers", {}).items()
    ]
    return table(OPTIMIZER_HEADER, rows)


def optimizer_section(current: OptimizeMetrics | None) -> list[str]:
    lines = ["## Optimizer benchmark", ""]
    if not current:
        return [*lines, f"No `{paths.OPTIMIZE_METRICS}` on this branch.", ""]
    plant = current.get("plant")
    if plant is not None:
        lines += [
            f"Designed for and checked against the plant of the current batch (scenario "
            f"{plant['scenario']}): ambient {fmt(plant['ambient_temp_c'])} C, cement supplier "
            f"{plant['cement_supplier']} at strength factor {fmt(plant['strength_factor'])}.",
            "",
        ]
    answer = current.get("answer")
    if answer is None:
        return [*lines, f"**Infeasible**: {current.get('reason', 'no feasible mix')}", ""]
    feasible = "" if answer.get("truly_feasible", True) else " **Not truly feasible.**"
    lines.append(
        f"Answer ({current['surrogate']} + {answer['optimizer']}, target "
        f"{fmt(current['strength_target_mpa'])} MPa): true CO2 "
        f"{fmt(answer.get('true_co2_kg_m3'))} kg/m3, {fmt(answer.get('reduction_pct'))} % below "
        f"the reference mix, true strength {fmt(answer.get('true_strength_mpa'))} MPa, "
        f"{fmt(answer.get('gap_to_optimum_pct'))} % above the true optimum.{feasible}"
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
    lock_file = root / paths.DVC_LOCK
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
