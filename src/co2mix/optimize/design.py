"""Searches of a design space (:class:`~co2mix.optimize.space.DesignSpace`), whatever
dataset it came from: one run of an optimizer, the lowest-objective mix under a
wall-clock deadline, and the highest value a floor's target reaches.

The plant's benchmark, the plant's and a CSV dataset's design answer, and every
``/v1/advise`` request search through :func:`search`. When no supported mix meets the
floors, :func:`highest_reachable` finds how far a supported mix gets, so a refusal can
say what is reachable instead of returning a best effort.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from co2mix.core.params_base import OptimizerName
from co2mix.optimize.solvers import Recorder, Scorer, run_solver
from co2mix.optimize.space import DesignSpace, Predict

DESIGN_OPTIMIZER: OptimizerName = "differential_evolution"  # the answer's and advice's


class DeadlineExceeded(RuntimeError):
    """The search ran out of its wall-clock allowance."""


@dataclass(frozen=True)
class Budget:
    """How much a search may spend: candidates evaluated, population size per variable,
    and seconds (infinite: no deadline)."""

    evaluations: int
    popsize: int
    seconds: float = np.inf


def _with_deadline(score: Scorer, deadline: float) -> Scorer:
    if not np.isfinite(deadline):
        return score

    def scored(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if time.perf_counter() > deadline:
            raise DeadlineExceeded
        return score(x)

    return scored


def search(
    space: DesignSpace,
    score: Scorer,
    optimizer: OptimizerName,
    seed: int,
    budget: Budget,
) -> tuple[Recorder, float]:
    """One run of ``optimizer`` on ``score`` (``space.scorer(predict)``, or a variant of
    it) over ``space``'s bounds from its real mixes: the recorder and its seconds;
    :class:`DeadlineExceeded` after ``budget.seconds``."""
    deadline = time.perf_counter() + budget.seconds
    return run_solver(
        optimizer,
        _with_deadline(score, deadline),
        space.bounds,
        seed,
        budget.evaluations,
        budget.popsize,
        space.starts,
        space.penalty,
    )


@dataclass(frozen=True)
class DesignedMix:
    """The lowest-objective feasible mix (its variables), or, when none was found, the
    highest value the first floor's target reaches on a supported mix (None: no mix
    within the limits and the support at all)."""

    mix: np.ndarray | None
    highest: float | None = None  # set when ``mix`` is None


def highest_reachable(
    space: DesignSpace, target: str, predict: Predict, seed: int, budget: Budget
) -> float | None:
    """The highest held value of ``target`` (a floor's) on a mix within the bounds, the
    limits and the data support, every floor dropped (None when no such mix was found)."""
    floor = space.floor(target)
    free = replace(space, floors=())

    def highest_first(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        evaluated = free.evaluate(x, predict)
        return -floor.held(evaluated.predictions[target]), evaluated.violation

    recorder, _ = search(free, highest_first, DESIGN_OPTIMIZER, seed, budget)
    return None if recorder.best_x is None else -recorder.best_value


def design_mix(space: DesignSpace, predict: Predict, seed: int, budget: Budget) -> DesignedMix:
    """The lowest-objective mix meeting every floor, limit and the support;
    :class:`DeadlineExceeded` after ``budget.seconds`` (the reachability search included)."""
    deadline = time.perf_counter() + budget.seconds
    recorder, _ = search(space, space.scorer(predict), DESIGN_OPTIMIZER, seed, budget)
    if recorder.best_x is not None:
        return DesignedMix(recorder.best_x)
    left = replace(budget, seconds=deadline - time.perf_counter())
    target = space.floors[0].target if space.floors else None
    if target is None:
        return DesignedMix(None)
    return DesignedMix(None, highest_reachable(space, target, predict, seed, left))
