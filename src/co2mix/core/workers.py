"""Worker processes for a stage's independent runs (the optimizer benchmark's runs, the
forecast backtest's series).

Workers come from a ``forkserver``: a fresh interpreter that has never run XGBoost's
OpenMP threads (a plain ``fork`` of a stage that has can hang in the child), which
imports the given modules once; each worker is a fork of it. A worker freezes those
imports out of the garbage collector (as a stage does: :func:`co2mix.core.stage.run_stage`),
so that its exit, which the stage waits for, does not spend half a second collecting
them. Workers inherit the stage's environment, its one BLAS thread included.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.forkserver
from collections.abc import Sequence


def forkserver(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """The forkserver context whose server imports ``preload`` (module names)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def start_forkserver(preload: Sequence[str]) -> None:
    """Start the forkserver now, so that its imports overlap the stage's own work
    (reading data, loading models) instead of following it."""
    forkserver(preload)
    multiprocessing.forkserver.ensure_running()


def freeze_imports() -> None:
    """A worker's start (a pool's ``initializer``): its imports out of the collector."""
    gc.freeze()
