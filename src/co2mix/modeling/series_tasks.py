"""The forecast backtests run series by series, one series per task, on worker processes.

A series' backtest sees only its own column, the batches produced, the weather and the
setup, and every fit is seeded from the setup, so backtesting the series one by one or
at once on ``forecast.n_jobs`` processes gives the same rows, to the bit: the tasks'
rows are put back together in the order of the tasks, which is the order the stage
lists them in. On two cores this halves the stage (about 30 s of fits, the daily MLPs
the largest share), which ``make repro`` waits for.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from co2mix.core.workers import forkserver, freeze_imports, start_forkserver
from co2mix.modeling.backtest import Setup, run_backtest
from co2mix.modeling.hourly import HourlySetup, run_hourly_backtest

# what the workers' server imports once (ETS's statsmodels is imported on first use)
PRELOAD = (__name__, "statsmodels.tsa.holtwinters")

Following = dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]


@dataclass(frozen=True)
class SeriesTask:
    """One series' backtest (daily or hourly, as its setup): its column, and what every
    series of its frequency shares."""

    series: pd.Series
    produced: pd.Series  # the batches produced (daily or hourly), the features' scale
    weather: dict[str, Any]  # the weather forecasts (backtest.run_backtest says which)
    setup: Setup | HourlySetup
    after: pd.Timestamp  # the first day (hour) after the log: the served forecast's start


def start_backtest_workers(n_jobs: int) -> None:
    """Start the workers' server now, so its imports overlap the stage's reading."""
    if n_jobs > 1:
        start_forkserver(PRELOAD)


def run_task(task: SeriesTask) -> tuple[pd.DataFrame, Following]:
    """One series' backtest rows and its forecast of the horizon after the log."""
    frame = task.series.to_frame()
    if isinstance(task.setup, HourlySetup):
        return run_hourly_backtest(frame, task.produced, task.weather, task.setup, task.after)
    backtest, following = run_backtest(frame, task.produced, task.weather, task.setup, task.after)
    return backtest.rows, following


def run_tasks(tasks: Sequence[SeriesTask], n_jobs: int) -> list[tuple[pd.DataFrame, Following]]:
    """Every task's result, in the order of ``tasks``; on ``n_jobs`` processes above 1."""
    if n_jobs <= 1 or len(tasks) <= 1:
        return [run_task(task) for task in tasks]
    workers = min(n_jobs, len(tasks))
    with ProcessPoolExecutor(workers, forkserver(PRELOAD), initializer=freeze_imports) as pool:
        return list(pool.map(run_task, tasks))


def gathered(
    results: Sequence[tuple[pd.DataFrame, Following]],
) -> tuple[pd.DataFrame, Following]:
    """The results of one frequency's tasks as one backtest would have returned them."""
    rows = pd.concat([frame for frame, _ in results], ignore_index=True)
    following: Following = {}
    for _, by_series in results:
        following.update(by_series)
    return rows, following
