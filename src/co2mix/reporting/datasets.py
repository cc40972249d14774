"""The report's real-data section: every dataset profile's champions and mix design,
beside the plant's, so a pull request shows what it did to real data too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from co2mix.core import paths, records
from co2mix.core.schemas import EvaluateMetrics
from co2mix.core.schemas_optimize import DesignMetrics
from co2mix.reporting.markdown import MISSING, delta, fmt, table

PROFILES = Path("profiles")

# (path, schema) -> the base's record, or None
AtBase = Callable[[Path, type[records.Record]], records.Record | None]


def profile_names(root: Path) -> list[str]:
    """The dataset profiles of this branch: ``profiles/<name>/dvc.yaml``."""
    return sorted(p.parent.name for p in (root / PROFILES).glob("*/dvc.yaml"))


def datasets_section(root: Path, at_base: AtBase) -> list[str]:
    names = profile_names(root)
    if not names:
        return []
    rows = []
    for name in names:
        where = PROFILES / name / paths.EVALUATE_METRICS
        now = records.read(where, EvaluateMetrics, root)
        before = at_base(where, EvaluateMetrics) or {}
        if not now:
            rows.append([name, MISSING, "not reproduced (dvc repro --all-pipelines)"] + [""] * 5)
            continue
        for target, evaluation in now.items():
            scores = evaluation["models"][evaluation["champion"]]
            old = before.get(target)
            old_scores = old["models"][old["champion"]] if old else None
            rows.append(
                [
                    name,
                    target,
                    evaluation["champion"],
                    fmt(scores["rmse"]),
                    delta(old_scores["rmse"] if old_scores else None, scores["rmse"]),
                    fmt(scores["mae"]),
                    fmt(scores["r2"]),
                    old["champion"] if old else MISSING,
                ]
            )
    header = ["dataset", "target", "champion", "RMSE", "delta", "MAE", "R2", "champion (base)"]
    lines = ["## Datasets (`profiles/`)", "", *table(header, rows), ""]
    for name in names:
        design = records.read(PROFILES / name / paths.DESIGN_METRICS, DesignMetrics, root)
        if design:
            lines += [f"- **{name}** design: {design_line(design)}"]
    return [*lines, ""]


def design_line(m: DesignMetrics) -> str:
    if "skipped" in m:
        return m["skipped"]
    objective = m.get("objective", "")
    floors = ", ".join(f"{t} >= {v:g}" for t, v in m.get("constraints", {}).items())
    best = m.get("best_real_mix")
    real = (
        f"best real mix {fmt(best['measured'][objective])} ({best['name']}), "
        f"{fmt(m.get('improvement_pct'))} % lower"
        if best
        else "no real mix meets the floors in this context"
    )
    answer = m.get("answer")
    if not answer:
        return f"minimise {objective} with {floors}: no feasible mix ({m.get('reason')})"
    nearest = answer.get("nearest_real_mix")
    near = (
        f"; nearest real mix {nearest['name']} at {fmt(answer.get('nearest_distance_sd'))} sd"
        if nearest
        else ""
    )
    return (
        f"minimise {objective} with {floors}: predicted {fmt(answer['predicted'][objective])}, "
        f"{real}{near}"
    )


def design_section(current: DesignMetrics | None) -> list[str]:
    """The plant's design answer (``metrics/design.json``, the record every dataset's
    design stage writes) with the truth it was checked against."""
    lines = ["## Mix design", ""]
    if not current:
        return [*lines, f"No `{paths.DESIGN_METRICS}` on this branch.", ""]
    lines.append(f"Design: {design_line(current)}.")
    answer = current.get("answer")
    truth = answer.get("truth") if answer else None
    spec = current.get("specification")
    if spec is not None:
        lines += [
            "",
            f"Strength on the {spec['basis']} basis: required mean "
            f"{fmt(spec['required_mean_mpa'])} MPa (margin {fmt(spec['margin_mpa'])} MPa).",
        ]
    if truth:
        verdict = "truly feasible" if truth.get("truly_feasible") else "**not truly feasible**"
        lines += [
            "",
            f"On the plant's physics: true CO2 {fmt(truth.get('true_co2_kg_m3'))} kg/m3 "
            f"({fmt(truth.get('reduction_pct'))} % below the reference mix), true strength "
            f"{fmt(truth.get('true_strength_mpa'))} MPa, "
            f"{fmt(truth.get('true_fraction_below_target'))} of its batches below the target: "
            f"{verdict}.",
        ]
    return [*lines, ""]
