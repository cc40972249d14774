"""Throughput of the optimizer's objective: vectorized against one call per candidate.

The demo this project grew from called the model once per candidate mix. co2mix scores a
whole population in one call (DE with ``vectorized=True``). Both paths below compute the
same objective (CO2 and strength predictions, limits, data support) for the same
candidates, in the same run, on the trained models in data/models (run ``make repro``
first). Usage: python bench/bench_optimize_throughput.py [population]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from co2mix.core import paths
from co2mix.core.io import read_parquet
from co2mix.core.params_file import load_params
from co2mix.optimize.problem import DataSupport, Problem
from co2mix.optimize.surrogates import build_surrogates, load_pipelines

ROOT = Path(__file__).resolve().parents[1]


def evaluations_per_second(score, candidates: np.ndarray, batch: int, min_seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        for i in range(0, len(candidates), batch):
            score(candidates[i : i + batch])
        done += len(candidates)
    return done / (time.perf_counter() - start)


def main() -> None:
    population = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    os.chdir(ROOT)  # the pipeline's paths are relative to the project root
    params = load_params()
    train = read_parquet(paths.TRAIN, stage_hint="prepare")
    test = read_parquet(paths.TEST, stage_hint="prepare")
    surrogates = build_surrogates(params, load_pipelines(params), train, test)
    problem = Problem(params, params.optimize.strength_target_mpa, DataSupport.fit(train, params))
    low, high = np.array(problem.bounds).T
    candidates = low + (high - low) * np.random.default_rng(0).random((population, len(low)))

    print(f"population {population} (one DE generation at popsize {population // len(low)})")
    print("| surrogate | per candidate (evals/s) | vectorized (evals/s) | ratio |")
    print("|---|---:|---:|---:|")
    for name, surrogate in surrogates.items():

        def score(x, predict=surrogate.predict):
            return problem.score(x, predict)

        single = evaluations_per_second(score, candidates, 1, 2.0)
        whole = evaluations_per_second(score, candidates, population, 2.0)
        print(f"| {name} | {single:,.0f} | {whole:,.0f} | {whole / single:.0f}x |")


if __name__ == "__main__":
    main()
