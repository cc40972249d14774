"""The benchmark: every optimizer on the chosen surrogate, every surrogate with DE,
each proposal checked against the plant's noise-free physics, a strength sweep.

The truth check answers what test RMSE cannot: does the mix a surrogate proposes really
reach the strength target, and how far is it from the true optimum (the same constrained
problem solved on the physics with a large budget)?
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from co2mix.core.params_base import OptimizerName
from co2mix.core.schemas_optimize import (
    OptimizeMetrics,
    Optimum,
    ReferenceMix,
    RunRecord,
)
from co2mix.optimize.executor import Request, Setting, solve_all
from co2mix.optimize.plant_space import (
    Predictor,
    check_reachable,
    mix_frame,
    plant_space,
    plant_support,
    starting_mixes,
    true_values,
)
from co2mix.optimize.solvers import Recorder
from co2mix.optimize.space import DesignSpace
from co2mix.optimize.specification import Specification, specification
from co2mix.optimize.summary import (
    Run,
    aggregate,
    convergence,
    efficient,
    record,
    rounded,
    rounded_check,
)
from co2mix.optimize.surrogates import Surrogate
from co2mix.optimize.truth_check import PlantTruth
from co2mix.physics.truth import CO2, MIX_COLUMNS, STRENGTH
from co2mix.plant_params.root import PlantParams

VARIANTS = ("configured", "without_support", "with_margin")
COST_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)  # the CO2-cost front's objective weights
PLANT = Surrogate("plant", true_values, strength_rmse=0.0)  # the physics, for the true optimum
TRUTH_POPSIZE = 20  # x 6 variables: 120 mixes per generation of the true-optimum search


@dataclass
class Outcome:
    metrics: OptimizeMetrics
    convergence: pd.DataFrame
    pareto: pd.DataFrame
    seconds: dict[str, float]
    runs: list[RunRecord] = field(default_factory=list)  # every run's proposal
    cost_front: pd.DataFrame = field(default_factory=pd.DataFrame)  # CO2 against cost


class Benchmark:
    def __init__(
        self,
        params: PlantParams,
        surrogates: dict[str, Surrogate],
        train: pd.DataFrame,
        spec: Specification | None = None,
    ):
        self.params = params
        self.opt = params.optimize
        self.spec = spec or specification(params, None)
        self.surrogates = surrogates
        support = plant_support(train, params) if self.opt.support.enabled else None
        predictors = {name: s.predict for name, s in (surrogates | {PLANT.name: PLANT}).items()}
        space = plant_space(params, self.spec.target_mpa, support, starting_mixes(train, params))
        self.setting = Setting(space, predictors)
        self._solved: dict[Request, tuple[Recorder, float]] = {}  # see solve()
        self._planned: list[Request] | None = None  # noting runs instead of making them
        self.truth = PlantTruth(params, self.spec)

    # ------------------------------------------------------------------ pieces

    def space_at(
        self, target: float, margin: float = 0.0, support: bool = True, cost_weight: float = 0.0
    ) -> DesignSpace:
        """Mixes specified at ``target`` (designed for its required mean) + ``margin``."""
        required = self.spec.required_mean(target) + margin
        return self.setting.space_for(required, support, cost_weight)

    def solve(
        self,
        space: DesignSpace,
        surrogate: Surrogate,
        optimizer: OptimizerName,
        seed: int,
        budget: int | None = None,
        popsize: int | None = None,
    ) -> Run:
        """One optimizer run (``optimize.budget`` and ``.popsize`` unless given). The same run
        is asked for more than once (the answer's DE runs are also the surrogate comparison's
        and a Pareto point): it is computed once, and each caller gets its own :class:`Run`
        for its own truth check. While planning, the run is only noted and comes back empty."""
        request = Request(
            surrogate.name,
            optimizer,
            seed,
            budget or self.opt.budget,
            popsize or self.opt.popsize,
            space.floor(STRENGTH).required,
            space.support is not None,
            space.cost_weight,
        )
        if self._planned is not None:
            self._planned.append(request)
            return Run(optimizer, seed, Recorder.unrun(request.budget), 0.0)
        if request not in self._solved:
            self._solved[request] = self.setting.solve(request)
        recorder, seconds = self._solved[request]
        return Run(optimizer, seed, recorder, seconds)

    def solve_truth(self, space: DesignSpace, seed: int) -> Run:
        """Large populations: the physics is cheap per call, so spend the budget on breadth."""
        return self.solve(
            space, PLANT, "differential_evolution", seed, self.opt.truth_budget, TRUTH_POPSIZE
        )

    def true_optimum(
        self, target: float, support: bool = True, seeds: tuple[int, ...] = (0, 1)
    ) -> Optimum:
        """The same problem on the physics: the best of large DE runs."""
        space = self.space_at(target, support=support)
        runs = [self.solve_truth(space, seed) for seed in seeds]
        best = min(runs, key=lambda r: r.recorder.best_value)
        if best.recorder.best_x is None:
            return {"feasible": False}
        truth = mix_frame(best.recorder.best_x, self.params).iloc[0]
        return {
            "feasible": True,
            CO2: rounded(truth[CO2]),
            STRENGTH: rounded(truth[STRENGTH]),
            "reduction_pct": rounded(self.truth.reduction(truth[CO2])),
            "mix": {c: rounded(truth[c], 1) for c in MIX_COLUMNS},
        }

    def truth_check(self, run: Run, predict: Predictor, target: float, optimum: Optimum) -> None:
        """Evaluate the proposed mix on the physics; fills ``run.check``."""
        if run.recorder.best_x is None:
            run.check = {"feasible": False}
            return
        run.check = self.truth.check(run.recorder.best_x, predict, target, optimum.get(CO2))

    # ------------------------------------------------------------------ the benchmark

    def seeds_for(self, optimizer: OptimizerName) -> list[int]:
        return self.opt.seeds[:1] if optimizer == "direct" else list(self.opt.seeds)

    def run(self) -> Outcome:
        """Walk the benchmark once noting every run it asks for, make all of them (on
        ``optimize.n_jobs`` processes), then walk it again with the results."""
        self._planned = []
        self._evaluate()
        planned, self._planned = self._planned, None
        start = time.perf_counter()
        self._solved = solve_all(self.setting, planned, self.opt.n_jobs)
        outcome = self._evaluate()
        outcome.seconds["runs"] = time.perf_counter() - start
        return outcome

    def _evaluate(self) -> Outcome:
        opt = self.opt
        target = self.spec.target_mpa
        optimum = self.true_optimum(target)
        optimum_unsupported = self.true_optimum(target, support=False)

        answer = self.surrogates[opt.surrogate]
        margin = opt.safety_margin_rmse * answer.strength_rmse
        optimizer_runs = self._optimizer_comparison(answer, margin, optimum)
        surrogate_runs = self._surrogate_comparison(target, optimum, optimum_unsupported)
        pareto = self._pareto(answer, margin)
        cost_front = self._cost_front(answer, margin)

        metrics: OptimizeMetrics = {
            "feasible": False,
            "strength_target_mpa": target,
            "surrogate": opt.surrogate,
            "specification": self.spec.record(),
            "reference_mix": self._reference_mix(),
            "true_optimum": optimum,
            "true_optimum_without_support": optimum_unsupported,
            "optimizers": {o: aggregate(runs) for o, runs in optimizer_runs.items()},
            "surrogates": {
                name: {variant: aggregate(runs) for variant, runs in variants.items()}
                for name, variants in surrogate_runs.items()
            },
        }
        self._answer(metrics, optimizer_runs[opt.optimizer], target + margin)
        runs = [
            record(run, "optimizers", opt.surrogate, "configured")
            for group in optimizer_runs.values()
            for run in group
        ] + [
            record(run, "surrogates", name, variant)
            for name, variants in surrogate_runs.items()
            for variant, group in variants.items()
            for run in group
        ]
        seconds = {
            f"optimizer/{name}": sum(r.seconds for r in group)
            for name, group in optimizer_runs.items()
        }
        seconds["surrogates"] = sum(
            r.seconds for variants in surrogate_runs.values() for g in variants.values() for r in g
        )
        return Outcome(
            metrics,
            convergence(optimizer_runs, opt.budget),
            pareto,
            seconds,
            runs,
            cost_front,
        )

    def _answer(self, metrics: OptimizeMetrics, runs: list[Run], required: float) -> None:
        """The answer is the best feasible proposal of ``optimize.optimizer`` over the seeds."""
        proposals = [r for r in runs if r.feasible]
        metrics["feasible"] = bool(proposals)
        if proposals:
            best = min(proposals, key=lambda r: r.recorder.best_value)
            metrics["answer"] = {
                "optimizer": best.optimizer,
                "seed": best.seed,
                **rounded_check(best.check),
            }
            return
        opt = self.opt
        metrics["reason"] = (
            f"no mix within optimize.bounds met every constraint with surrogate "
            f"{opt.surrogate!r} and optimizer {opt.optimizer!r} (strength >= {required:g} MPa "
            f"predicted, limits, data support) in {opt.budget} evaluations"
        )

    def _optimizer_comparison(
        self, answer: Surrogate, margin: float, optimum: Optimum
    ) -> dict[str, list[Run]]:
        target = self.spec.target_mpa
        jobs = [(o, s) for o in self.opt.optimizers for s in self.seeds_for(o)]
        results: dict[str, list[Run]] = {}
        for optimizer, seed in jobs:
            run = self.solve(self.space_at(target, margin), answer, optimizer, seed)
            self.truth_check(run, answer.predict, target, optimum)
            results.setdefault(optimizer, []).append(run)
        return results

    def _surrogate_comparison(
        self, target: float, optimum: Optimum, optimum_unsupported: Optimum
    ) -> dict[str, dict[str, list[Run]]]:
        opt = self.opt
        margins = {
            "configured": opt.safety_margin_rmse,
            "without_support": opt.safety_margin_rmse,
            "with_margin": opt.remedy_margin_rmse,
        }
        jobs = [(n, v, s) for n in self.surrogates for v in VARIANTS for s in opt.seeds]
        results: dict[str, dict[str, list[Run]]] = {}
        for name, variant, seed in jobs:
            surrogate = self.surrogates[name]
            supported = variant != "without_support"
            margin = margins[variant] * surrogate.strength_rmse
            space = self.space_at(target, margin, support=supported)
            run = self.solve(space, surrogate, "differential_evolution", seed)
            reference_optimum = optimum if supported else optimum_unsupported
            self.truth_check(run, surrogate.predict, target, reference_optimum)
            results.setdefault(name, {}).setdefault(variant, []).append(run)
        return results

    def _pareto(self, answer: Surrogate, margin: float) -> pd.DataFrame:
        """The answer's setup (surrogate, optimizer, first seed) over the strength targets."""
        rows = []
        for target in self.opt.pareto_targets_mpa:
            optimum = self.true_optimum(target, seeds=(0,))
            space = self.space_at(target, margin)
            run = self.solve(space, answer, self.opt.optimizer, self.opt.seeds[0])
            self.truth_check(run, answer.predict, target, optimum)
            check = run.check
            rows.append(
                {
                    "strength_target_mpa": target,
                    "predicted_co2": rounded(check.get("predicted_co2_kg_m3", np.nan), 2),
                    "true_co2": rounded(check.get("true_co2_kg_m3", np.nan), 2),
                    "true_strength_mpa": rounded(check.get("true_strength_mpa", np.nan), 2),
                    "true_optimum_co2": rounded(optimum.get(CO2, np.nan), 2),
                }
            )
        return pd.DataFrame(rows)

    def _cost_front(self, answer: Surrogate, margin: float) -> pd.DataFrame:
        """The answer's setup (first seed) at the specified strength, its objective CO2 +
        w x cost for each weight of :data:`COST_WEIGHTS` (w in units of the reference
        mix's CO2 per unit of its cost: at 1, a 1 % saving of either counts the same);
        ``efficient`` marks the mixes no other one beats on both."""
        prices = self.opt.prices_per_kg
        if not prices:
            return pd.DataFrame()
        target = self.spec.target_mpa
        optimum = self.true_optimum(target, seeds=(0,))
        unit = self.truth.reference[CO2] / (self.truth.reference_cost or 1.0)
        rows = []
        for weight in COST_WEIGHTS:
            space = self.space_at(target, margin, cost_weight=weight * unit)
            run = self.solve(space, answer, self.opt.optimizer, self.opt.seeds[0])
            self.truth_check(run, answer.predict, target, optimum)
            check = run.check
            rows.append(
                {
                    "cost_weight": weight,
                    "cost_per_m3": rounded(check.get("cost_per_m3", np.nan), 2),
                    "true_co2": rounded(check.get("true_co2_kg_m3", np.nan), 2),
                    "true_strength_mpa": rounded(check.get("true_strength_mpa", np.nan), 2),
                    "true_fraction_below_target": rounded(
                        check.get("true_fraction_below_target", np.nan), 3
                    ),
                }
            )
        front = pd.DataFrame(rows)
        front["efficient"] = efficient(front["cost_per_m3"], front["true_co2"])
        return front

    def _reference_mix(self) -> ReferenceMix:
        reference = self.truth.reference
        return {CO2: rounded(reference[CO2]), STRENGTH: rounded(reference[STRENGTH])}


def run_benchmark(
    params: PlantParams,
    surrogates: dict[str, Surrogate],
    train: pd.DataFrame,
    spec: Specification | None = None,
) -> Outcome:
    """The whole optimize stage's computation, after a quick check that the answer's
    surrogate can reach the required mean of ``optimize.strength_target_mpa`` at all."""
    benchmark = Benchmark(params, surrogates, train, spec)
    answer = surrogates[params.optimize.surrogate]
    required = benchmark.spec.required_mean(benchmark.spec.target_mpa)
    check_reachable(params, answer.name, answer.predict, benchmark.setting.space, required)
    return benchmark.run()
