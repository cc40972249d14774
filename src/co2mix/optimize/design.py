"""One mix design on request: the lowest-CO2 supported mix for a context and a target.

The benchmark answers the params' one question many ways; a service asks a new question
every request (this morning's temperature, this site's distance, this age and target)
and needs one answer fast. The same problem, surrogate compilation, data support and
differential evolution as the benchmark, under a wall-clock deadline. When no supported
mix reaches the target, a second search finds the highest strength that one does, so
the refusal can say what is reachable instead of returning a best effort.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from co2mix.core.errors import ParamsError
from co2mix.core.params_base import OptimizerName
from co2mix.optimize.compiled import Columns
from co2mix.optimize.problem import Predictor, Problem, candidate_columns
from co2mix.optimize.solvers import Recorder, Scorer, run_solver
from co2mix.optimize.support import DataSupport
from co2mix.plant_params.root import PlantParams

OPTIMIZER: OptimizerName = "differential_evolution"


class DeadlineExceeded(RuntimeError):
    """The search ran out of its wall-clock allowance."""


@dataclass(frozen=True)
class DesignedMix:
    """A feasible mix (the six designed masses) and its predicted CO2 and strength; or,
    when none was found, the highest predicted strength a supported mix reaches."""

    mix: np.ndarray | None
    predicted_co2: float
    predicted_strength: float
    highest_strength: float | None = None  # set when ``mix`` is None


def _with_deadline(score: Scorer, deadline: float) -> Scorer:
    def scored(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if time.perf_counter() > deadline:
            raise DeadlineExceeded
        return score(x)

    return scored


def _search(
    params: PlantParams, score: Scorer, problem: Problem, seed: int, starts: np.ndarray
) -> Recorder:
    opt = params.optimize
    recorder, _ = run_solver(
        OPTIMIZER, score, problem.bounds, seed, opt.budget, opt.popsize, starts
    )
    return recorder


def highest_strength(
    params: PlantParams,
    support: DataSupport | None,
    predict: Predictor,
    starts: np.ndarray,
    seed: int,
    deadline: float = np.inf,
) -> float | None:
    """The highest predicted strength of a mix within the limits and the data support
    (None when no such mix was found at all)."""
    problem = Problem(params, 0.0, support)

    def strength_first(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        predicted: list[np.ndarray] = []

        def keeping_strength(columns: Columns) -> tuple[np.ndarray, np.ndarray]:
            co2, strength = predict(columns)
            predicted.append(strength)
            return co2, strength

        _, violation = problem.score(x, keeping_strength)  # one prediction, not two
        return -predicted[0], violation

    recorder = _search(params, _with_deadline(strength_first, deadline), problem, seed, starts)
    return None if recorder.best_x is None else -recorder.best_value


def design_mix(
    params: PlantParams,
    support: DataSupport | None,
    predict: Predictor,
    starts: np.ndarray,
    seed: int,
    seconds: float,
    required_mpa: float | None = None,
) -> DesignedMix:
    """The lowest-CO2 mix whose predicted strength reaches ``required_mpa`` (default:
    ``optimize.strength_target_mpa``; a characteristic target's required mean, see
    :mod:`co2mix.optimize.specification`) under ``optimize.context``;
    :class:`DeadlineExceeded` after ``seconds``."""
    deadline = time.perf_counter() + seconds
    required = params.optimize.strength_target_mpa if required_mpa is None else required_mpa
    problem = Problem(params, required, support)
    score = _with_deadline(lambda x: problem.score(x, predict), deadline)
    recorder = _search(params, score, problem, seed, starts)
    if recorder.best_x is not None:
        co2, strength = predict(candidate_columns(recorder.best_x, params))
        return DesignedMix(recorder.best_x, float(co2[0]), float(strength[0]))
    highest = highest_strength(params, support, predict, starts, seed, deadline)
    return DesignedMix(None, np.nan, np.nan, highest)


def check_reachable(
    params: PlantParams,
    name: str,
    predict: Predictor,
    support: DataSupport | None,
    starts: np.ndarray,
    required: float,
) -> None:
    """Refuse, in seconds, a strength no supported mix is predicted to reach (the
    benchmark would spend minutes to report every run infeasible), naming the key and
    the highest strength the ``name`` surrogate reaches."""
    highest = highest_strength(params, support, predict, starts, params.optimize.seeds[0])
    if highest is None or highest < required:
        reach = "no mix at all" if highest is None else f"at most {highest:.1f} MPa"
        specified = params.optimize.strength_target_mpa
        mean = f" (a required mean of {required:g} MPa)" if required != specified else ""
        raise ParamsError(
            f"params.yaml: optimize.strength_target_mpa = {specified:g}{mean}: no mix within "
            f"optimize.bounds, the mix limits and the data support is predicted to reach it; "
            f"the highest the {name} surrogate reaches is {reach}"
        )
