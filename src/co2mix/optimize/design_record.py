"""A dataset's design answer and its record, ``metrics/design.json``, the same for the
plant and for a CSV dataset (the design stage, ``stages/design.py``).

A :class:`Designer` is what a dataset hands the stage: its design space and published
models, the optimizer, seeds and budget, how its floors were specified, the real mixes
to compare the answer with and, for the plant, a truth check. :func:`design_record`
searches every seed and writes the one record: the lowest predicted objective among the
feasible results, what each model predicts and holds there, the nearest real mix, the
best real mix that meets the same floors under the same context, and the truth (when
there is one to check against). The plant's optimizer benchmark (``metrics/optimize.json``)
is an experiment on top of this: its answer is this record's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.core.params_base import OptimizerName
from co2mix.core.records import number
from co2mix.core.schemas_optimize import DesignAnswer, DesignMetrics, RealMix, Specified, TruthCheck
from co2mix.optimize.design import Budget, search
from co2mix.optimize.space import DesignSpace, Predict, cost_per_m3

# data.source -> the module whose ``designer(params)`` builds its Designer, loaded by name
# where the core cannot name it (a CSV dataset's design stage never loads the plant)
DESIGNERS = {"plant": "co2mix.optimize.plant_design"}


@dataclass(frozen=True)
class Designer:
    """Everything the design stage needs of one dataset."""

    space: DesignSpace
    predict: Predict
    models: dict[str, str]  # target -> the published model predicting it
    constraints: dict[str, float]  # target -> its specified floor (before any margin)
    margin_std: float  # floors held at mean - this x std where a model gives a std
    optimizer: OptimizerName
    seeds: list[int]
    budget: Budget
    rows: pd.DataFrame  # the real mixes: the nearest one and the best one are named
    name_column: str
    specification: Specified | None = None  # how the floors were specified (the plant's)
    check: Callable[[np.ndarray], TruthCheck] | None = None  # the truth of a mix, if any


def in_context(rows: pd.DataFrame, context: Mapping[str, float | str]) -> pd.Series:
    """Rows whose context columns equal the design's context (numbers to 1e-6)."""
    keep = pd.Series(True, index=rows.index)
    for column, value in context.items():
        if isinstance(value, str):
            keep &= rows[column].astype(str) == value
        else:
            keep &= np.isclose(rows[column].astype(float), float(value), rtol=1e-6, atol=1e-9)
    return keep


def real_mix(row: pd.Series, designer: Designer) -> RealMix:
    space = designer.space
    return {
        "name": str(row[designer.name_column]),
        "measured": {t: number(float(row[t]), 4) for t in [space.objective, *designer.constraints]},
        "mix": {v: number(float(row[v]), 4) for v in space.variables},
    }


def in_context_row(designer: Designer, label: object) -> pd.Series:
    """The row ``label`` names, or, when its mix (its name: a BOxCrete mix tested at
    several ages) was also measured in the design's context, that measurement: the
    nearest mix's strength at 28 days, not at whichever age indexed it."""
    rows = designer.rows
    row = rows.loc[label]
    same = rows[rows[designer.name_column] == row[designer.name_column]]
    measured = same[in_context(same, designer.space.context)]
    return measured.iloc[0] if len(measured) else row


def best_real_mix(designer: Designer) -> RealMix | None:
    """The lowest measured objective among real mixes that meet every floor (measured)
    under the design's context; None when no real mix does."""
    space, rows = designer.space, designer.rows
    targets = [space.objective, *designer.constraints]
    candidates = rows[in_context(rows, space.context)].dropna(subset=targets)
    for target, floor in designer.constraints.items():
        candidates = candidates[candidates[target] >= floor]
    if candidates.empty:
        return None
    return real_mix(candidates.loc[candidates[space.objective].idxmin()], designer)


def _answer(designer: Designer, x: np.ndarray, seeds: list[int]) -> DesignAnswer:
    space = designer.space
    evaluated = space.evaluate(x[None, :], designer.predict)
    outputs = evaluated.predictions  # target -> (mean, std)
    answer: DesignAnswer = {
        "mix": {v: number(float(x[i]), 4) for i, v in enumerate(space.variables)},
        "context": dict(space.context),
        "predicted": {t: number(float(mean[0]), 4) for t, (mean, _) in outputs.items()},
        "predicted_std": {
            t: number(float(std[0]), 4) for t, (_, std) in outputs.items() if std is not None
        },
        "held": {t: number(float(v[0]), 4) for t, v in evaluated.held.items()},
        "feasible": bool(evaluated.violation[0] <= 0),
        "seeds": seeds,
    }
    if space.prices_per_kg:
        cost = cost_per_m3(evaluated.columns, space.prices_per_kg)
        answer["cost_per_m3"] = None if cost is None else number(cost, 2)
    if space.support is not None:
        distance, label = space.support.nearest(evaluated.columns)
        answer["nearest_real_mix"] = real_mix(in_context_row(designer, label[0]), designer)
        answer["nearest_distance_sd"] = number(float(distance[0]), 4)
        answer["support_radius_sd"] = number(space.support.radius, 4)
    return answer


def design_record(designer: Designer) -> DesignMetrics:
    """Search every seed; the answer is the lowest predicted objective among feasible
    results (ties: the first seed), compared with the best real mix, named by its nearest
    real mix, and checked against the truth when the dataset has one."""
    space, predict = designer.space, designer.predict
    found = [
        (seed, search(space, space.scorer(predict), designer.optimizer, seed, designer.budget))
        for seed in designer.seeds
    ]
    feasible = [
        (float(space.evaluate(run.best_x[None, :], predict).objective[0]), seed, run.best_x)
        for seed, (run, _) in found
        if run.best_x is not None
    ]
    metrics: DesignMetrics = {
        "objective": space.objective,
        "constraints": dict(designer.constraints),
        "models": dict(designer.models),
        "margin_std": designer.margin_std,
        "bounds": {
            v: [number(low, 4), number(high, 4)]
            for v, (low, high) in zip(space.variables, space.bounds, strict=True)
        },
        "seeds_feasible": f"{len(feasible)}/{len(found)}",
        "best_real_mix": best_real_mix(designer),
    }
    if designer.specification is not None:
        metrics["specification"] = designer.specification
    if not feasible:
        metrics["answer"] = None
        metrics["reason"] = (
            "no candidate met every floor inside the data's support: the floors may be "
            "beyond what the data supports (lower a constraint, or relax the support)"
        )
        return metrics
    value, _, x = min(feasible, key=lambda s: (s[0], s[1]))
    answer = _answer(designer, x, [seed for v, seed, _ in feasible if abs(v - value) < 1e-9])
    if designer.check is not None:
        answer["truth"] = designer.check(x)
    metrics["answer"] = answer
    best = metrics["best_real_mix"]
    if best is not None:
        real = best["measured"][space.objective]
        predicted = answer["predicted"][space.objective]
        metrics["improvement_pct"] = number(100 * (real - predicted) / real, 3)
    return metrics
