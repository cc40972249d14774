"""The optimizers, all minimising the same penalized objective under one evaluation budget.

Every optimizer sees ``co2 + PENALTY x violation`` (scipy's ``dual_annealing`` and
``direct`` only know bounds). What an optimizer *proposes* is taken from a
:class:`Recorder` that watches every evaluated point: the best mix that met every
constraint within the budget, so a run that never finds a feasible mix says so
instead of returning a best-effort one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import get_args

import numpy as np
from scipy.optimize import differential_evolution, direct, dual_annealing
from scipy.stats import qmc

from co2mix.core.params_base import OptimizerName

PENALTY = 1000.0  # kg CO2e per unit of violation: any breach outweighs any saving

Bounds = list[tuple[float, float]]
Scorer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # x (n, d) -> co2, violation
Penalty = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (objective, violation) -> scored


def additive(objective: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """The plant's: ``co2 + PENALTY x violation``, the same for every optimizer."""
    return objective + PENALTY * violation


def feasible_first(objective: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """For an objective in units of the data's range (0 to 1 inside it): every infeasible
    candidate ranks after every feasible one, the less violating first. A CSV design's
    objective may be any unit, where an additive penalty is too weak or too strong."""
    return np.where(violation <= 0.0, objective, 2.0 + violation)


@dataclass
class Recorder:
    """Counts evaluated points and keeps the best feasible one seen within the budget."""

    score: Scorer
    budget: int
    penalty: Penalty = additive
    evaluations: int = 0
    calls: int = 0
    best_value: float = np.inf
    best_x: np.ndarray | None = None
    trace: list[tuple[int, float]] = field(default_factory=list)  # (evaluations, best so far)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        co2, violation = self.score(x)
        self.calls += 1
        room = max(self.budget - self.evaluations, 0)
        feasible = np.flatnonzero(violation[:room] <= 0.0)
        if feasible.size:
            best = feasible[np.argmin(co2[feasible])]
            if co2[best] < self.best_value:
                self.best_value, self.best_x = float(co2[best]), x[best].copy()
        self.evaluations += len(x)
        self.trace.append((min(self.evaluations, self.budget), self.best_value))
        return self.penalty(co2, violation)

    def scalar(self, x: np.ndarray) -> float:
        return float(self(np.asarray(x)[None, :])[0])

    @classmethod
    def unrun(cls, budget: int) -> Recorder:
        """A run that has not happened: nothing evaluated, nothing proposed."""
        return cls(_finished, budget)

    def finished(self) -> Recorder:
        """This run's record without its scorer (a closure): what a worker process sends
        back. The copy refuses to score."""
        return replace(self, score=_finished)

    def best_at(self, checkpoints: np.ndarray) -> np.ndarray:
        """Best feasible value found by each checkpoint (NaN before the first one)."""
        evals = np.array([e for e, _ in self.trace])
        values = np.array([v for _, v in self.trace])
        out = np.full(len(checkpoints), np.nan)
        for i, checkpoint in enumerate(checkpoints):
            seen = values[evals <= checkpoint]
            if seen.size and np.isfinite(seen[-1]):
                out[i] = seen[-1]
        return out


def _finished(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    raise RuntimeError("a finished run's recorder does not score new candidates")


def _sample_starts(starts: np.ndarray | None, n: int, seed: int) -> np.ndarray | None:
    """``n`` distinct rows of ``starts`` (real mixes), or None when there are too few."""
    if starts is None or len(starts) < n:
        return None
    rng = np.random.default_rng(seed)
    return starts[rng.choice(len(starts), size=n, replace=False)]


def _first_generation(
    starts: np.ndarray | None, bounds: Bounds, n: int, seed: int
) -> np.ndarray | None:
    """``n`` real mixes, or every real mix and the rest a Latin hypercube over the bounds
    when there are fewer (None without any: scipy's own Latin hypercube)."""
    sampled = _sample_starts(starts, n, seed)
    if sampled is not None or starts is None or not len(starts):
        return sampled
    low, high = np.array(bounds, dtype=float).T
    fill = qmc.LatinHypercube(d=len(bounds), seed=seed).random(n - len(starts))
    inside = np.clip(starts, low, high)  # a real mix outside given bounds starts at them
    first: np.ndarray = np.vstack([inside, low + (high - low) * fill])
    return first


def run_differential_evolution(
    rec: Recorder, bounds: Bounds, seed: int, popsize: int, starts: np.ndarray | None = None
) -> None:
    """Vectorized DE: the whole population in one objective call per generation.

    The first generation is a sample of real training mixes when ``starts`` has them:
    the feasible region (near the data) is small, and a uniform start spends most of the
    budget finding it. A dataset with fewer real mixes than the population (BOxCrete: 75
    concretes, population 105) starts from all of them, the rest spread over the bounds:
    started from the bounds alone, its search missed the mixes near the data (3 seeds of
    an exposure class that did not bind answered 85.0 kg CO2e/m3 instead of 77.5).
    """
    population = popsize * len(bounds)
    generations = max(rec.budget // population - 1, 1)
    init = _first_generation(starts, bounds, population, seed)

    def objective(x_t: np.ndarray) -> np.ndarray:  # scipy passes (d, n)
        return rec(x_t.T)

    differential_evolution(
        objective,
        bounds,
        maxiter=generations,
        popsize=popsize,
        seed=seed,
        tol=0.0,
        polish=False,
        init="latinhypercube" if init is None else init,
        updating="deferred",
        vectorized=True,
    )


def run_dual_annealing(
    rec: Recorder, bounds: Bounds, seed: int, popsize: int, starts: np.ndarray | None = None
) -> None:
    """Generalized simulated annealing from a real mix, without scipy's local searches.

    The local searches (L-BFGS-B) take gradients by finite differences, which divide
    last-bit differences of the surrogate by a step of 1e-8: on another CPU, or with the
    training data moved by one part in 1e12, the same seed's run went elsewhere (median
    true CO2 of seven seeds 315.6 -> 312.7 -> 307.0 kg/m3, single runs by up to 130). The
    annealing alone accepts a move by comparing with a random number, so its run is the
    same to the bit unless a comparison is a near-tie (seven seeds identical under the
    same perturbations), and it found better mixes in the same budget (median 261.1)."""
    x0 = _sample_starts(starts, 1, seed)
    dual_annealing(
        rec.scalar,
        bounds,
        maxfun=rec.budget,
        seed=seed,
        x0=None if x0 is None else x0[0],
        no_local_search=True,
    )


def run_direct(
    rec: Recorder, bounds: Bounds, seed: int, popsize: int, starts: np.ndarray | None = None
) -> None:
    """DIRECT is deterministic and starts from the box centre: every seed gives the same run."""
    direct(rec.scalar, bounds, maxfun=rec.budget, maxiter=rec.budget, locally_biased=True)


def run_random_search(
    rec: Recorder, bounds: Bounds, seed: int, popsize: int, starts: np.ndarray | None = None
) -> None:
    """The baseline: the budget as uniform random candidates in the bounds, a DE
    generation per call. It ignores ``starts``: it is what a search without any idea costs."""
    rng = np.random.default_rng(seed)
    low, high = np.array(bounds, dtype=float).T
    chunk = popsize * len(bounds)
    for start in range(0, rec.budget, chunk):
        n = min(chunk, rec.budget - start)
        rec(low + (high - low) * rng.random((n, len(bounds))))


Solver = Callable[[Recorder, Bounds, int, int, np.ndarray | None], None]

SOLVERS: dict[OptimizerName, Solver] = {
    "differential_evolution": run_differential_evolution,
    "dual_annealing": run_dual_annealing,
    "direct": run_direct,
    "random_search": run_random_search,
}
if set(SOLVERS) != set(get_args(OptimizerName)):  # params offer exactly the solvers there are
    raise ImportError(f"SOLVERS {sorted(SOLVERS)} != OptimizerName {get_args(OptimizerName)}")


def run_solver(
    optimizer: OptimizerName,
    score: Scorer,
    bounds: Bounds,
    seed: int,
    budget: int,
    popsize: int,
    starts: np.ndarray | None,
    penalty: Penalty = additive,
) -> tuple[Recorder, float]:
    """One run of ``optimizer`` on ``score`` within ``budget`` evaluations: its recorder
    and its seconds."""
    recorder = Recorder(score, budget, penalty)
    start = time.perf_counter()
    SOLVERS[optimizer](recorder, bounds, seed, popsize, starts)
    return recorder, time.perf_counter() - start
