"""Stage entry points: bad input becomes a message and an exit code, not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

from co2mix.core.errors import InputError, ParamsError


def run_stage(name: str, main: Callable[[], None]) -> None:
    """Run a stage's ``main``; on bad params or input print why and exit with status 2."""
    try:
        main()
    except (ParamsError, InputError) as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        sys.exit(2)
