"""The benchmark: every optimizer on the chosen surrogate, every surrogate with DE,
each proposal checked against the simulator's noise-free physics, a strength sweep.

The truth check answers what test RMSE cannot: does the mix a surrogate proposes really
reach the strength target, and how far is it from the true optimum (the same constrained
problem solved on the physics with a large budget)?
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from co2mix.optimize.problem import DataSupport, Predictor, Problem, mix_frame, true_values
from co2mix.optimize.solvers import SOLVERS, Recorder
from co2mix.optimize.surrogates import Surrogate
from co2mix.params import DECISION_VARIABLES, Params
from co2mix.simulate.truth import REFERENCE_MIX

VARIANTS = ("configured", "without_support", "with_margin")
CHECKPOINTS = 30  # points of the convergence curve
PLANT = Surrogate("plant", true_values, strength_rmse=0.0)  # the physics, for the true optimum
TRUTH_POPSIZE = 20  # x 6 variables: 120 mixes per generation of the true-optimum search


def _r(value: float, digits: int = 3) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


@dataclass
class Run:
    """One optimizer run and the truth check of what it proposed."""

    optimizer: str
    seed: int
    recorder: Recorder
    seconds: float
    check: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.recorder.best_x is not None


@dataclass
class Outcome:
    metrics: dict[str, Any]
    convergence: pd.DataFrame
    pareto: pd.DataFrame
    seconds: dict[str, float]
    runs: list[dict[str, Any]] = field(default_factory=list)  # every run's proposal


class Benchmark:
    def __init__(self, params: Params, surrogates: dict[str, Surrogate], train: pd.DataFrame):
        self.params = params
        self.opt = params.optimize
        self.surrogates = surrogates
        self.support = DataSupport.fit(train, params) if self.opt.support.enabled else None
        self.starts = self._starts(train)
        self._solved: dict[tuple, tuple[Recorder, float]] = {}  # see solve()
        self.seconds: dict[str, float] = {}
        reference = mix_frame(np.array([[REFERENCE_MIX[v] for v in DECISION_VARIABLES]]), params)
        self.reference = {
            "co2_kg_m3": float(reference["co2_kg_m3"].iloc[0]),
            "strength_mpa": float(reference["strength_mpa"].iloc[0]),
        }

    # ------------------------------------------------------------------ pieces

    def _starts(self, train: pd.DataFrame) -> np.ndarray:
        """Training mixes inside the bounds: where population-based searches begin."""
        mixes = train[list(DECISION_VARIABLES)].dropna().to_numpy(dtype=float)
        low, high = np.array([self.opt.bounds[v] for v in DECISION_VARIABLES], dtype=float).T
        return mixes[((mixes >= low) & (mixes <= high)).all(axis=1)]

    def problem(self, target: float, margin: float = 0.0, support: bool = True) -> Problem:
        return Problem(self.params, target + margin, self.support if support else None)

    def solve(
        self,
        problem: Problem,
        surrogate: Surrogate,
        optimizer: str,
        seed: int,
        budget: int | None = None,
        popsize: int | None = None,
    ) -> Run:
        """One optimizer run (``optimize.budget`` and ``.popsize`` unless given). The same run
        is asked for more than once (the answer's DE runs are also the surrogate comparison's
        and a Pareto point): it is computed once, and each caller gets its own :class:`Run`
        for its own truth check."""
        budget, popsize = budget or self.opt.budget, popsize or self.opt.popsize
        key = (
            surrogate.name,
            optimizer,
            seed,
            budget,
            popsize,
            problem.strength_required_mpa,
            problem.support is not None,
        )
        if key not in self._solved:
            recorder = Recorder(lambda x: problem.score(x, surrogate.predict), budget)
            start = time.perf_counter()
            SOLVERS[optimizer](recorder, problem.bounds, seed, popsize, self.starts)
            self._solved[key] = (recorder, time.perf_counter() - start)
        recorder, seconds = self._solved[key]
        return Run(optimizer, seed, recorder, seconds)

    def solve_truth(self, problem: Problem, seed: int) -> Run:
        """Large populations: the physics is cheap per call, so spend the budget on breadth."""
        return self.solve(
            problem, PLANT, "differential_evolution", seed, self.opt.truth_budget, TRUTH_POPSIZE
        )

    def true_optimum(
        self, target: float, support: bool = True, seeds: tuple[int, ...] = (0, 1)
    ) -> dict[str, Any]:
        """The same problem on the physics: the best of large DE runs."""
        problem = self.problem(target, support=support)
        runs = [self.solve_truth(problem, seed) for seed in seeds]
        best = min(runs, key=lambda r: r.recorder.best_value)
        if not best.feasible:
            return {"feasible": False}
        truth = mix_frame(best.recorder.best_x, self.params).iloc[0]
        return {
            "feasible": True,
            "co2_kg_m3": _r(truth["co2_kg_m3"]),
            "strength_mpa": _r(truth["strength_mpa"]),
            "reduction_pct": _r(self._reduction(truth["co2_kg_m3"])),
            "mix": {c: _r(truth[c], 1) for c in (*DECISION_VARIABLES, "fine_agg")},
        }

    def _reduction(self, co2: float) -> float:
        return 100.0 * (1.0 - co2 / self.reference["co2_kg_m3"])

    def truth_check(self, run: Run, predict: Predictor, target: float, optimum: dict) -> None:
        """Evaluate the proposed mix on the simulator; fills ``run.check``."""
        if not run.feasible:
            run.check = {"feasible": False}
            return
        frame = mix_frame(run.recorder.best_x, self.params)
        co2_pred, strength_pred = predict(frame)
        truth = frame.iloc[0]
        gap = (
            100.0 * (truth["co2_kg_m3"] / optimum["co2_kg_m3"] - 1.0)
            if optimum.get("feasible")
            else np.nan
        )
        run.check = {
            "feasible": True,
            "predicted_co2_kg_m3": float(co2_pred[0]),
            "predicted_strength_mpa": float(strength_pred[0]),
            "true_co2_kg_m3": float(truth["co2_kg_m3"]),
            "true_strength_mpa": float(truth["strength_mpa"]),
            "truly_feasible": bool(truth["strength_mpa"] >= target - self.opt.truth_tolerance_mpa),
            "reduction_pct": self._reduction(truth["co2_kg_m3"]),
            "gap_to_optimum_pct": gap,
            "mix": {c: _r(truth[c], 1) for c in (*DECISION_VARIABLES, "fine_agg")},
        }

    # ------------------------------------------------------------------ the benchmark

    def seeds_for(self, optimizer: str) -> list[int]:
        return self.opt.seeds[:1] if optimizer == "direct" else list(self.opt.seeds)

    def run(self) -> Outcome:
        opt = self.opt
        errors = Problem(self.params, opt.strength_target_mpa, None).setup_errors()
        if errors:
            return self._infeasible("; ".join(errors))
        target = opt.strength_target_mpa
        start = time.perf_counter()
        optimum = self.true_optimum(target)
        optimum_unsupported = self.true_optimum(target, support=False)
        self.seconds["true_optimum"] = time.perf_counter() - start

        answer = self.surrogates[opt.surrogate]
        margin = opt.safety_margin_rmse * answer.strength_rmse
        jobs = [(o, s) for o in opt.optimizers for s in self.seeds_for(o)]
        optimizer_runs: dict[str, list[Run]] = {}
        for optimizer, seed in tqdm(jobs, desc=f"optimize: optimizers on {answer.name}"):
            run = self.solve(self.problem(target, margin), answer, optimizer, seed)
            self.truth_check(run, answer.predict, target, optimum)
            optimizer_runs.setdefault(optimizer, []).append(run)
        for optimizer, runs in optimizer_runs.items():
            self.seconds[f"optimizer/{optimizer}"] = sum(r.seconds for r in runs)

        surrogate_runs = self._surrogate_comparison(target, optimum, optimum_unsupported)
        pareto = self._pareto(answer, margin)

        by_optimizer = {o: self._aggregate(runs) for o, runs in optimizer_runs.items()}
        de_runs = optimizer_runs.get("differential_evolution") or next(
            iter(optimizer_runs.values())
        )
        proposals = [r for r in de_runs if r.feasible]
        feasible = bool(proposals)
        metrics = {
            "feasible": feasible,
            "strength_target_mpa": target,
            "surrogate": opt.surrogate,
            "reference_mix": {k: _r(v) for k, v in self.reference.items()},
            "true_optimum": optimum,
            "true_optimum_without_support": optimum_unsupported,
            "optimizers": by_optimizer,
            "surrogates": {
                name: {variant: self._aggregate(runs) for variant, runs in variants.items()}
                for name, variants in surrogate_runs.items()
            },
        }
        if feasible:
            best = min(proposals, key=lambda r: r.recorder.best_value)
            metrics["answer"] = {"optimizer": best.optimizer, "seed": best.seed} | self._rounded(
                best.check
            )
        else:
            metrics["reason"] = (
                f"no mix within optimize.bounds met every constraint with surrogate "
                f"{opt.surrogate!r} (strength >= {target + margin:g} MPa predicted, limits, "
                f"data support) in {opt.budget} evaluations"
            )
        runs = [
            {"benchmark": "optimizers", "surrogate": opt.surrogate, "variant": "configured"}
            | self._record(run)
            for group in optimizer_runs.values()
            for run in group
        ] + [
            {"benchmark": "surrogates", "surrogate": name, "variant": variant} | self._record(run)
            for name, variants in surrogate_runs.items()
            for variant, group in variants.items()
            for run in group
        ]
        return Outcome(metrics, self._convergence(optimizer_runs), pareto, self.seconds, runs)

    def _surrogate_comparison(
        self, target: float, optimum: dict, optimum_unsupported: dict
    ) -> dict[str, dict[str, list[Run]]]:
        opt = self.opt
        jobs = [
            (name, variant, seed)
            for name in self.surrogates
            for variant in VARIANTS
            for seed in opt.seeds
        ]
        results: dict[str, dict[str, list[Run]]] = {}
        start = time.perf_counter()
        for name, variant, seed in tqdm(jobs, desc="optimize: surrogates with DE"):
            surrogate = self.surrogates[name]
            k = {
                "configured": opt.safety_margin_rmse,
                "without_support": opt.safety_margin_rmse,
                "with_margin": opt.remedy_margin_rmse,
            }[variant]
            supported = variant != "without_support"
            problem = self.problem(target, k * surrogate.strength_rmse, support=supported)
            run = self.solve(problem, surrogate, "differential_evolution", seed)
            reference_optimum = optimum if supported else optimum_unsupported
            self.truth_check(run, surrogate.predict, target, reference_optimum)
            results.setdefault(name, {}).setdefault(variant, []).append(run)
        self.seconds["surrogates"] = time.perf_counter() - start
        return results

    def _pareto(self, answer: Surrogate, margin: float) -> pd.DataFrame:
        rows = []
        start = time.perf_counter()
        for target in tqdm(self.opt.pareto_targets_mpa, desc="optimize: strength sweep"):
            optimum = self.true_optimum(target, seeds=(0,))
            run = self.solve(
                self.problem(target, margin), answer, "differential_evolution", self.opt.seeds[0]
            )
            self.truth_check(run, answer.predict, target, optimum)
            check = run.check
            rows.append(
                {
                    "strength_target_mpa": target,
                    "predicted_co2": _r(check.get("predicted_co2_kg_m3", np.nan), 2),
                    "true_co2": _r(check.get("true_co2_kg_m3", np.nan), 2),
                    "true_strength_mpa": _r(check.get("true_strength_mpa", np.nan), 2),
                    "true_optimum_co2": _r(optimum.get("co2_kg_m3", np.nan), 2),
                }
            )
        self.seconds["pareto"] = time.perf_counter() - start
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ summaries

    @classmethod
    def _record(cls, run: Run) -> dict[str, Any]:
        """One run for ``data/optimize/runs.json``: what it proposed and what that truly is."""
        return {
            "optimizer": run.optimizer,
            "seed": run.seed,
            "evaluations": run.recorder.evaluations,
            "model_calls": run.recorder.calls,
        } | cls._rounded(run.check)

    @staticmethod
    def _rounded(check: dict[str, Any]) -> dict[str, Any]:
        return {k: (_r(v) if isinstance(v, float) else v) for k, v in check.items()}

    @staticmethod
    def _aggregate(runs: list[Run]) -> dict[str, Any]:
        """Over seeds: means of the proposals, the worst true strength, feasibility counts."""
        found = [r.check for r in runs if r.feasible]

        def mean(key: str) -> float | None:
            values = [c[key] for c in found if np.isfinite(c[key])]
            return _r(np.mean(values)) if values else None

        summary: dict[str, Any] = {
            "runs": len(runs),
            "feasible_runs": len(found),
            "truly_feasible_runs": sum(c["truly_feasible"] for c in found),
            "evaluations": int(np.mean([r.recorder.evaluations for r in runs])),
        }
        if found:
            summary |= {
                "predicted_co2_kg_m3": mean("predicted_co2_kg_m3"),
                "true_co2_kg_m3": mean("true_co2_kg_m3"),
                "predicted_strength_mpa": mean("predicted_strength_mpa"),
                "true_strength_mpa": mean("true_strength_mpa"),
                "true_strength_min_mpa": _r(min(c["true_strength_mpa"] for c in found)),
                "reduction_pct": mean("reduction_pct"),
                "gap_to_optimum_pct": mean("gap_to_optimum_pct"),
                "gap_to_optimum_max_pct": _r(max(c["gap_to_optimum_pct"] for c in found)),
            }
        return summary

    def _convergence(self, runs: dict[str, list[Run]]) -> pd.DataFrame:
        checkpoints = np.linspace(self.opt.budget / CHECKPOINTS, self.opt.budget, CHECKPOINTS)
        frame = pd.DataFrame({"evaluations": checkpoints.round().astype(int)})
        for optimizer, optimizer_runs in runs.items():
            curves = np.vstack([r.recorder.best_at(checkpoints) for r in optimizer_runs])
            found = ~np.isnan(curves)
            median = np.full(len(checkpoints), np.nan)  # over the seeds that found a mix
            for i in np.flatnonzero(found.any(axis=0)):
                median[i] = np.median(curves[found[:, i], i])
            frame[optimizer] = np.round(median, 3)
        return frame

    def _infeasible(self, reason: str) -> Outcome:
        metrics = {
            "feasible": False,
            "reason": reason,
            "strength_target_mpa": self.opt.strength_target_mpa,
            "surrogate": self.opt.surrogate,
            "reference_mix": {k: _r(v) for k, v in self.reference.items()},
        }
        empty = pd.DataFrame(columns=["evaluations", *self.opt.optimizers])
        return Outcome(metrics, empty, pd.DataFrame(columns=["strength_target_mpa"]), {})


def run_benchmark(params: Params, surrogates: dict[str, Surrogate], train: pd.DataFrame) -> Outcome:
    """The whole optimize stage's computation."""
    return Benchmark(params, surrogates, train).run()


OPTIMIZER_HEADER = (
    "| optimizer | predicted CO2 | true CO2 | true strength (min) | reduction % | gap % "
    "| evaluations | truly feasible |"
)


def optimizer_table(metrics: dict[str, Any]) -> list[str]:
    """The optimizer table of ``metrics/optimize.json`` as Markdown lines (console, PR report)."""
    lines = [OPTIMIZER_HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in metrics.get("optimizers", {}).items():
        lines.append(
            f"| {name} | {m.get('predicted_co2_kg_m3')} | {m.get('true_co2_kg_m3')} | "
            f"{m.get('true_strength_min_mpa')} | {m.get('reduction_pct')} | "
            f"{m.get('gap_to_optimum_pct')} | {m['evaluations']} | "
            f"{m['truly_feasible_runs']}/{m['runs']} |"
        )
    return lines
