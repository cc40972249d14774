"""Optimizer runs and their summaries: the truth-checked proposal of one run, its record
in ``data/optimize/runs.json``, means over seeds, and the convergence curves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd

from co2mix.core.records import number
from co2mix.core.schemas_optimize import RunRecord, RunSummary, TruthCheck
from co2mix.optimize.solvers import Recorder

CHECKPOINTS = 30  # points of the convergence curve
Number = Literal[
    "predicted_co2_kg_m3",
    "predicted_strength_mpa",
    "true_co2_kg_m3",
    "true_strength_mpa",
    "reduction_pct",
    "gap_to_optimum_pct",
    "true_fraction_below_target",
    "cost_per_m3",
]
NUMBERS: tuple[Number, ...] = get_args(Number)


def rounded(value: float | None, digits: int = 3) -> float | None:
    """A metric as committed: rounded, and None where it is not a finite number."""
    return None if value is None or not np.isfinite(value) else number(value, digits)


@dataclass
class Run:
    """One optimizer run and the truth check of what it proposed."""

    optimizer: str
    seed: int
    recorder: Recorder
    seconds: float
    check: TruthCheck = field(default_factory=lambda: TruthCheck(feasible=False))

    @property
    def feasible(self) -> bool:
        return self.recorder.best_x is not None


def rounded_check(check: TruthCheck) -> TruthCheck:
    """The truth check with every number rounded for the metrics (NaN becomes None)."""
    out = TruthCheck(feasible=check["feasible"])
    if "truly_feasible" in check:
        out["truly_feasible"] = check["truly_feasible"]
    if "mix" in check:
        out["mix"] = check["mix"]
    for key in NUMBERS:
        if key in check:
            out[key] = rounded(check[key])
    return out


def record(run: Run, benchmark: str, surrogate: str, variant: str) -> RunRecord:
    """One run for ``data/optimize/runs.json``: what it proposed and what that truly is."""
    return RunRecord(
        benchmark=benchmark,
        surrogate=surrogate,
        variant=variant,
        optimizer=run.optimizer,
        seed=run.seed,
        evaluations=run.recorder.evaluations,
        model_calls=run.recorder.calls,
        **rounded_check(run.check),
    )


def aggregate(runs: list[Run]) -> RunSummary:
    """Over seeds: means of the proposals, the worst true strength, feasibility counts."""
    found = [r.check for r in runs if r.feasible]

    def values(key: Number) -> list[float]:
        return [float(v) for c in found if isinstance(v := c.get(key), float)]

    def mean(key: Number) -> float | None:
        finite = [v for v in values(key) if np.isfinite(v)]
        return rounded(float(np.mean(finite))) if finite else None

    summary: RunSummary = {
        "runs": len(runs),
        "feasible_runs": len(found),
        "truly_feasible_runs": sum(bool(c.get("truly_feasible")) for c in found),
        "evaluations": int(np.mean([r.recorder.evaluations for r in runs])),
    }
    if found:
        summary |= {
            "predicted_co2_kg_m3": mean("predicted_co2_kg_m3"),
            "true_co2_kg_m3": mean("true_co2_kg_m3"),
            "predicted_strength_mpa": mean("predicted_strength_mpa"),
            "true_strength_mpa": mean("true_strength_mpa"),
            "true_strength_min_mpa": rounded(min(values("true_strength_mpa"))),
            "reduction_pct": mean("reduction_pct"),
            "gap_to_optimum_pct": mean("gap_to_optimum_pct"),
            "gap_to_optimum_max_pct": rounded(max(values("gap_to_optimum_pct"))),
            "true_fraction_below_target": mean("true_fraction_below_target"),
            "true_fraction_below_max": rounded(max(values("true_fraction_below_target"))),
            "cost_per_m3": mean("cost_per_m3"),
        }
    return summary


def convergence(runs: dict[str, list[Run]], budget: int) -> pd.DataFrame:
    """Best feasible predicted CO2 by evaluations, per optimizer: the median over the seeds
    that had found a feasible mix by then."""
    checkpoints = np.linspace(budget / CHECKPOINTS, budget, CHECKPOINTS)
    frame = pd.DataFrame({"evaluations": checkpoints.round().astype(int)})
    for optimizer, optimizer_runs in runs.items():
        curves = np.vstack([r.recorder.best_at(checkpoints) for r in optimizer_runs])
        found = ~np.isnan(curves)
        median = np.full(len(checkpoints), np.nan)
        for i in np.flatnonzero(found.any(axis=0)):
            median[i] = np.median(curves[found[:, i], i])
        frame[optimizer] = np.round(median, 3)
    return frame


def efficient(cost: pd.Series, co2: pd.Series) -> list[bool]:
    """Whether each (cost, CO2) point is Pareto-efficient: no other point is at most as
    costly and as emitting, and below on one (a missing point never is)."""
    costs = pd.to_numeric(cost, errors="coerce").to_numpy(dtype=float)
    emissions = pd.to_numeric(co2, errors="coerce").to_numpy(dtype=float)
    points = [(float(c), float(e)) for c, e in zip(costs, emissions, strict=True)]

    def dominated(c: float, e: float) -> bool:
        return any(c2 <= c and e2 <= e and (c2 < c or e2 < e) for c2, e2 in points)

    return [bool(np.isfinite([c, e]).all() and not dominated(c, e)) for c, e in points]
