"""The optimizer's objective: compiled surrogates against the pipelines they replace.

For every surrogate, in the same run: the cost of one objective call with 1 candidate
(per-call overhead; dual annealing and DIRECT score one mix per call) and the throughput
with 64 candidates per call (about one DE generation), first through ``pipeline.predict``
on frames (the path before the compiled surrogates), then through the compiled array
functions. Needs a reproduced pipeline (``make repro``): it reads the trained models.

    python bench/bench_optimize_throughput.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from co2mix.core import paths
from co2mix.core.io import read_parquet
from co2mix.core.params_file import load_params
from co2mix.optimize.plant_space import (
    Predictor,
    by_target,
    mix_frame,
    plant_space,
    plant_support,
    starting_mixes,
)
from co2mix.optimize.space import DesignSpace
from co2mix.optimize.surrogates import load_pipelines, surrogate_members
from co2mix.plant_params.root import PlantParams

ROOT = Path(__file__).resolve().parents[1]


def seconds_per_call(score, candidates: np.ndarray, min_seconds: float = 1.5) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        score(candidates)
        calls += 1
    return (time.perf_counter() - start) / calls


def frames_then(predict: Predictor, space: DesignSpace, params: PlantParams):
    """The old hot path: candidates framed, then predicted through the pipelines."""

    def score(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        frame = mix_frame(x, params)
        return space.score(x, by_target(lambda _columns: predict(frame)))

    return score


def main() -> None:
    os.chdir(ROOT)  # the pipeline's paths are relative to the project root
    params = load_params()
    train = read_parquet(paths.TRAIN, stage_hint="prepare")
    members = surrogate_members(
        params, load_pipelines(params), {t: train for t in params.data.targets}
    )
    support = plant_support(train, params)
    space = plant_space(
        params, params.optimize.strength_target_mpa, support, starting_mixes(train, params)
    )
    low, high = np.array(space.bounds).T
    mixes = low + (high - low) * np.random.default_rng(0).random((64, len(low)))

    print("| surrogate | path | 1 candidate: ms per call | 64 candidates: mixes per s |")
    print("|---|---|---:|---:|")
    for name, member in members.items():
        for path, predict in (
            ("pipelines on frames", member.through_pipelines()),
            ("compiled arrays", member.compiled()),
        ):
            score = (
                frames_then(predict, space, params)
                if path.startswith("pipelines")
                else space.scorer(by_target(predict))
            )
            one = seconds_per_call(score, mixes[:1])
            many = seconds_per_call(score, mixes)
            print(f"| {name} | {path} | {1000 * one:.3f} | {64 / many:,.0f} |")


if __name__ == "__main__":
    main()
