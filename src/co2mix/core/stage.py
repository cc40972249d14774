"""Stage entry points: bad input becomes a message and an exit code, not a traceback."""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable

from threadpoolctl import threadpool_limits

from co2mix.core.errors import InputError, ParamsError

BLAS_THREADS = "1"


def _terminated(signum: int, _frame: object) -> None:
    """SIGTERM as an exception: the staged outputs' context discards its temporaries on
    the way out (a plain SIGTERM would end the process with them on disk)."""
    raise SystemExit(128 + signum)


def run_stage(name: str, main: Callable[[], None]) -> None:
    """Run a stage's ``main``; on bad params or input print why and exit with status 2.

    The error exit skips the interpreter's finalization (``os._exit``): the staged
    outputs were already removed on the way out of their context managers, and a
    finalizing interpreter with pyarrow's I/O threads still parked was seen to abort
    (``terminate called without an active exception``, status -6 instead of 2) on a busy
    machine.

    The objects that exist once the stage is imported (its libraries: sklearn, pandas,
    pyarrow...) are frozen out of the garbage collector (``gc.freeze``), and so is
    everything at the end: they are never garbage, yet every full collection traversed
    them, and the interpreter's final collections took 0.45 s of every stage process
    (2.2 -> 1.77 s for a linear train cell; some 12 s of a default ``dvc repro``).
    Files are closed and ``atexit`` handlers run as before."""
    signal.signal(signal.SIGTERM, _terminated)
    one_blas_thread()
    without_hypothesis()
    gc.freeze()  # the imports: never garbage, and traversed by every full collection
    try:
        main()
        gc.freeze()  # and no final collections through them at the exit (see above)
    except (ParamsError, InputError) as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(2)


def without_hypothesis() -> None:
    """Stages never draw examples from hypothesis, but pandera imports its strategies on
    the first validation whenever hypothesis is installed (``make`` installs it with the
    dev tools, for schemathesis), and hypothesis then loads its plugins (trio, pytest):
    0.35 s of every stage process that reads data, some 9 s of a default ``dvc repro``.
    A ``None`` entry in ``sys.modules`` makes that import fail as if hypothesis were not
    installed, which pandera expects; where it is already imported (pytest), nothing
    changes."""
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]


def one_blas_thread() -> None:
    """One BLAS thread in this process and (through the environment) in those it starts.

    OpenBLAS splits a product's sums across its threads, so the last bits of a result
    depend on how many there are: the same params gave a poly2 model 1e-12 apart in a
    process that had one thread instead of two (dask's LocalCluster had set
    ``OPENBLAS_NUM_THREADS=1`` in it), and would on a machine with another number of
    cores. The matrices here are small; a fixed count makes the outputs the machine's
    business no longer. (XGBoost's OpenMP threads are set by ``n_jobs`` and do not change
    its results.)"""
    os.environ["OPENBLAS_NUM_THREADS"] = BLAS_THREADS
    threadpool_limits(int(BLAS_THREADS), user_api="blas")
