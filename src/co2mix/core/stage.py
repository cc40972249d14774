"""Stage entry points: bad input becomes a message and an exit code, not a traceback."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

from co2mix.core.errors import InputError, ParamsError


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
    machine."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        main()
    except (ParamsError, InputError) as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(2)
