"""Mix design on any dataset that declares a design space (params section ``design``).

The decision variables are bounded by the data (or ``design.bounds``), the context is
held fixed, and differential evolution minimises the objective target's published model
subject to every constraint target's model reaching its floor, and to the data-support
constraint (inside the data's quantile box, near a real mix). A model with a predictive
standard deviation (the Gaussian process) must reach the floor with mean - ``margin_std``
x std. The answer is compared with the real mixes: the lowest-objective mix in the data
that meets the same floors under the same context, and the real mix nearest the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.pipeline import Pipeline

from co2mix.core.errors import ParamsError
from co2mix.core.expressions import expression, require
from co2mix.core.params import CsvParams
from co2mix.core.params_design import Design
from co2mix.core.records import number
from co2mix.core.schemas_optimize import DesignAnswer, DesignMetrics, RealMix
from co2mix.optimize.design import DESIGN_OPTIMIZER, Budget, search
from co2mix.optimize.solvers import feasible_first
from co2mix.optimize.space import DesignSpace, Floor, Limit, Predict
from co2mix.optimize.support import DataSupport


@dataclass(frozen=True)
class DesignTarget:
    """A published model of one target, the features it reads, and its name."""

    name: str
    pipeline: Pipeline
    features: list[str]

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """(mean, predictive std or None): a Gaussian process gives its std."""
        model = self.pipeline.steps[-1][1]
        x = frame[self.features]
        if isinstance(model, GaussianProcessRegressor):
            mean, std = model.predict(self.pipeline[:-1].transform(x), return_std=True)
            return np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
        return np.asarray(self.pipeline.predict(x), dtype=float), None


@dataclass(frozen=True)
class ContextFrame:
    """A CSV dataset's candidates: the variables' values with the context held fixed, as
    the frame its published pipelines read."""

    variables: tuple[str, ...]
    context: Mapping[str, float | str]

    def __call__(self, x: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(np.atleast_2d(x), columns=list(self.variables))
        for column, value in self.context.items():
            frame[column] = value
        return frame


def csv_predictor(models: Mapping[str, DesignTarget]) -> Predict:
    """Every design target's published model, as the design space's predictor."""
    return lambda frame: {target: model.predict(frame) for target, model in models.items()}


def csv_space(
    params: CsvParams, models: Mapping[str, DesignTarget], rows: pd.DataFrame
) -> DesignSpace:
    """The design space of ``params.design`` over the data ``rows`` (their bounds and
    support); features the models read must be variables or context."""
    design = params.design
    assert design is not None  # the stage checked
    known = set(design.variables) | set(design.context)
    for target, model in models.items():
        missing = [f for f in model.features if f not in known]
        if missing:
            raise ParamsError(
                f"params.yaml: design: the {target} model reads {missing}, which are neither "
                "design.variables nor design.context"
            )
    absent = [v for v in design.variables if v not in rows.columns]
    if absent:
        raise ParamsError(f"params.yaml: design.variables {absent} are not columns of the data")
    # bounds and support come from the real mixes of the context's kind (concrete, not mortar)
    kinds = {c: v for c, v in design.context.items() if isinstance(v, str)}
    rows = rows[in_context(rows, kinds)]
    if rows.empty:
        raise ParamsError(f"params.yaml: design.context {kinds}: no row of the data has it")
    _check_limits(design, rows)
    bounds: list[tuple[float, float]] = []
    for v in design.variables:
        low, high = design.bounds.get(v, (float(rows[v].min()), float(rows[v].max())))
        bounds.append((float(low), float(high)))
    support = (
        DataSupport.from_rows(rows, tuple(design.variables), design.support, unique=True)
        if design.support.enabled
        else None
    )
    measured = rows[design.objective].dropna()
    return DesignSpace(
        variables=tuple(design.variables),
        bounds=bounds,
        candidates=ContextFrame(tuple(design.variables), dict(design.context)),
        context=dict(design.context),
        objective=design.objective,
        floors=tuple(
            Floor(target, floor, max(abs(floor), 1e-9), design.margin_std)
            for target, floor in design.constraints.items()
        ),
        limits=tuple(
            Limit(text, low, high, max(abs(low), abs(high), 1e-9))
            for text, (low, high) in design.limits.items()
        ),
        support=support,
        starts=rows[design.variables].dropna().drop_duplicates().to_numpy(dtype=float),
        penalty=feasible_first,  # the objective in units of the data's range
        objective_scale=(
            float(measured.min()),
            float(measured.max() - measured.min()) or 1.0,
        ),
    )


def _check_limits(design: Design, rows: pd.DataFrame) -> None:
    """Every limit reads only variables and context, and gives a number on a real row."""
    for text in design.limits:
        limit = expression(text, "design.limits")
        require(limit, [*design.variables, *design.context], "design.limits")
        try:
            np.asarray(limit.evaluate(rows.head(1)), dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParamsError(f"params.yaml: design.limits: {text!r}: {exc}") from None


def in_context(rows: pd.DataFrame, context: Mapping[str, float | str]) -> pd.Series:
    """Rows whose context columns equal the design's context (numbers to 1e-6)."""
    keep = pd.Series(True, index=rows.index)
    for column, value in context.items():
        if isinstance(value, str):
            keep &= rows[column].astype(str) == value
        else:
            keep &= np.isclose(rows[column].astype(float), float(value), rtol=1e-6, atol=1e-9)
    return keep


def best_real_mix(rows: pd.DataFrame, design: Design, name_column: str) -> RealMix | None:
    """The lowest measured objective among real mixes that meet every floor (measured)
    under the design's context; None when no real mix does."""
    candidates = rows[in_context(rows, design.context)].dropna(subset=design.targets)
    for target, floor in design.constraints.items():
        candidates = candidates[candidates[target] >= floor]
    if candidates.empty:
        return None
    best = candidates.loc[candidates[design.objective].idxmin()]
    return _real(best, design, name_column)


def _real(row: pd.Series, design: Design, name_column: str) -> RealMix:
    return {
        "name": str(row[name_column]),
        "measured": {t: number(float(row[t]), 4) for t in design.targets},
        "mix": {v: number(float(row[v]), 4) for v in design.variables},
    }


def _answer(space: DesignSpace, predict: Predict, x: np.ndarray, seeds: list[int]) -> DesignAnswer:
    evaluated = space.evaluate(x[None, :], predict)
    outputs = evaluated.predictions  # target -> (mean, std)
    return {
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


def design_csv_mix(
    params: CsvParams, models: dict[str, DesignTarget], rows: pd.DataFrame, name_column: str
) -> DesignMetrics:
    """Search every seed; the answer is the lowest predicted objective among feasible
    results, compared with the best real mix and named by its nearest real mix."""
    design = params.design
    assert design is not None
    space, predict = csv_space(params, models, rows), csv_predictor(models)
    budget = Budget(design.budget, design.popsize)
    scored = [
        (seed, search(space, space.scorer(predict), DESIGN_OPTIMIZER, seed, budget)[0].best_x)
        for seed in design.seeds
    ]
    feasible = [
        (float(space.evaluate(x[None, :], predict).objective[0]), seed, x)
        for seed, x in scored
        if x is not None
    ]
    metrics: DesignMetrics = {
        "objective": design.objective,
        "constraints": dict(design.constraints),
        "models": {t: m.name for t, m in models.items()},
        "margin_std": design.margin_std,
        "bounds": {
            v: [number(low, 4), number(high, 4)]
            for v, (low, high) in zip(design.variables, space.bounds, strict=True)
        },
        "seeds_feasible": f"{len(feasible)}/{len(scored)}",
        "best_real_mix": best_real_mix(rows, design, name_column),
    }
    if not feasible:
        metrics["answer"] = None
        metrics["reason"] = (
            "no candidate met every floor inside the data's support: the floors may be "
            "beyond what the data supports (lower a constraint, or relax design.support)"
        )
        return metrics
    value, _, x = min(feasible, key=lambda s: (s[0], s[1]))
    tied = [seed for v, seed, _ in feasible if abs(v - value) < 1e-9]
    answer = _answer(space, predict, x, tied)
    if space.support is not None:
        distance, label = space.support.nearest(space.candidates(x[None, :]))
        answer["nearest_real_mix"] = _real(rows.loc[label[0]], design, name_column)
        answer["nearest_distance_sd"] = number(float(distance[0]), 4)
        answer["support_radius_sd"] = number(space.support.radius, 4)
    metrics["answer"] = answer
    best = metrics["best_real_mix"]
    if best is not None:
        real = best["measured"][design.objective]
        predicted = answer["predicted"][design.objective]
        metrics["improvement_pct"] = number(100 * (real - predicted) / real, 3)
    return metrics
