"""Optimizer runs as requests, computed one by one or on several processes.

The benchmark makes about seventy runs that do not depend on each other (every optimizer,
surrogate, variant, seed and strength target, and the true optima), each deterministic
given its request. On ``optimize.n_jobs`` processes they are computed at once and the
results are the same as one by one, to the bit: a run sees only its own request.

The workers come from a forkserver (:mod:`co2mix.core.workers` says why). Each
worker receives the :class:`Setting` once; the compiled surrogates are closures, which do
not pickle, so a surrogate travels as its fitted pipelines and is compiled again there
(:class:`co2mix.optimize.surrogates.CompiledMembers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from tqdm import tqdm

from co2mix.core.params_base import OptimizerName
from co2mix.core.workers import forkserver, freeze_imports, start_forkserver
from co2mix.optimize.design import Budget, search
from co2mix.optimize.plant_space import Predictor, by_target
from co2mix.optimize.solvers import Recorder
from co2mix.optimize.space import DesignSpace
from co2mix.physics.truth import STRENGTH

SCALAR_OPTIMIZERS = ("dual_annealing", "direct")  # one mix per call: the slow runs


@dataclass(frozen=True)
class Request:
    """Everything that decides an optimizer run's result, besides the :class:`Setting`."""

    surrogate: str
    optimizer: OptimizerName
    seed: int
    budget: int
    popsize: int
    strength_required_mpa: float
    supported: bool  # the data-support constraint applies
    cost_weight: float = 0.0  # the objective's weight on cost (the CO2-cost front)


@dataclass(frozen=True)
class Setting:
    """What every run of one benchmark shares: the configured design space (its data
    support and the training mixes the searches start from) and the predictor of each
    surrogate by name."""

    space: DesignSpace
    predictors: Mapping[str, Predictor]

    def space_for(
        self, strength_required_mpa: float, supported: bool, cost_weight: float = 0.0
    ) -> DesignSpace:
        """The configured space with its strength floor at ``strength_required_mpa``,
        without the support unless ``supported``, and weighing cost by ``cost_weight``."""
        space = self.space.requiring(STRENGTH, strength_required_mpa)
        support = space.support if supported else None
        return replace(space, support=support, cost_weight=cost_weight)

    def solve(self, request: Request) -> tuple[Recorder, float]:
        """The run of ``request``: its recorder and seconds."""
        space = self.space_for(
            request.strength_required_mpa, request.supported, request.cost_weight
        )
        predict = by_target(self.predictors[request.surrogate])
        budget = Budget(request.budget, request.popsize)
        return search(space, space.scorer(predict), request.optimizer, request.seed, budget)


_worker_setting: list[Setting] = []  # the Setting of this worker process


def _adopt(setting: Setting) -> None:
    """A worker's start: its Setting, and its imports frozen out of the collector."""
    _worker_setting[:] = [setting]
    freeze_imports()


def _solve_in_worker(request: Request) -> tuple[Recorder, float]:
    recorder, seconds = _worker_setting[0].solve(request)
    return recorder.finished(), seconds


def _slowest_first(requests: Sequence[Request]) -> list[Request]:
    """Scalar optimizers and big budgets first, so no long run starts last on one core."""
    return sorted(
        requests, key=lambda r: (r.optimizer in SCALAR_OPTIMIZERS, r.budget), reverse=True
    )


def start_workers(n_jobs: int) -> None:
    """Start the forkserver now (when runs will use it), so that its imports overlap the
    stage's loading of the models instead of following it."""
    if n_jobs > 1:
        start_forkserver([__name__])


def solve_all(
    setting: Setting, requests: Sequence[Request], n_jobs: int
) -> dict[Request, tuple[Recorder, float]]:
    """Every distinct request's run; on ``n_jobs`` worker processes when that is above 1."""
    unique = _slowest_first(list(dict.fromkeys(requests)))
    if n_jobs <= 1 or len(unique) <= 1:
        return {request: setting.solve(request) for request in tqdm(unique, "optimize: runs")}
    workers = min(n_jobs, len(unique))
    with ProcessPoolExecutor(
        workers, forkserver([__name__]), initializer=_adopt, initargs=(setting,)
    ) as pool:
        results = tqdm(pool.map(_solve_in_worker, unique), "optimize: runs", len(unique))
        return dict(zip(unique, results, strict=True))
