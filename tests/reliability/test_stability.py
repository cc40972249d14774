"""No chaotic metric: the small pipeline, its training rows moved by one part in 1e12,
reproduces every metric within the tolerances ``co2mix verify`` holds the committed
results to (``src/co2mix/reporting/tolerances.py``).

This is what another CPU does to a run (its BLAS kernels round differently in the last
bits), made here on purpose: a metric that moves further under it would move on the
next machine too, and would fail ``make verify`` there.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from co2mix.reporting.verify import compare_trees, report
from tests.helpers import run

PERTURBATION = 1e-12


def perturb(path) -> int:
    """Every float column of the parquet file at ``path`` times (1 + 1e-12); the number of
    cells that changed. A common factor per column keeps ties and order (duplicates stay
    duplicates), as a last-bit difference of a computation would."""
    frame = pd.read_parquet(path)
    before = frame.copy()
    for column in frame.select_dtypes("float").columns:
        frame[column] = frame[column] * (1.0 + PERTURBATION)
    frame.to_parquet(path, index=False)
    numbers = before.select_dtypes("float")
    return int((frame[numbers.columns].to_numpy() != numbers.to_numpy()).sum())


@pytest.mark.integration
def test_every_metric_holds_when_the_training_rows_move_by_1e12(reproduced, reproduced_copy):
    source, _ = reproduced
    project, raw = reproduced_copy
    started = time.time()
    changed = perturb(project / "data/prepared/train.parquet")
    assert changed > 10_000  # the perturbation reached the data

    # each stage alone through DVC (prepare would restore the rows), so dvc.lock records
    # what it wrote and the next stage's models pass the lock check (co2mix.core.locked)
    stages = [f"train@{model}" for model in raw["train"]["models"]]
    for stage in [*stages, "evaluate", "refresh", "design", "optimize", "forecast"]:
        run(["dvc", "repro", "--single-item", stage], project)

    # the perturbation reached the models too: the linear model's coefficients moved
    linear = "data/models/linear/co2_kg_m3/model.skops"
    assert (project / linear).read_bytes() != (source / linear).read_bytes()

    moved, files = compare_trees(source, project)
    print(report(moved, files))
    assert files >= 15  # every metrics and plot file of the plant, and dvc.lock
    failed = [m for m in moved if not m.ok]
    assert not failed, report(failed, files)
    # what was compared is what the stages wrote after the perturbation
    written_files = ("evaluate.json", "refresh.json", "design.json", "optimize.json")
    for written in (*written_files, "train/xgboost.json"):
        assert (project / "metrics" / written).stat().st_mtime > started
