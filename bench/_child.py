"""Benchmarks that measure each size in a process of its own, so that the peak RSS is
that size's: ``python bench/x.py`` runs ``python bench/x.py --child N`` per size and reads
the JSON the child prints last."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any


def in_child(script: str, size: int, *options: str) -> dict[str, Any]:
    """``measure(size, *options)`` of ``script``, run in a fresh process."""
    child = subprocess.run(
        [sys.executable, script, "--child", str(size), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def run(
    measure: Callable[..., dict[str, Any]],
    main: Callable[[list[int]], None],
    default: list[int],
) -> None:
    """The script's entry point: the child measures one size, the parent runs ``main``."""
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(measure(int(sys.argv[2]), *sys.argv[3:])))
    else:
        main([int(a) for a in sys.argv[1:]] or default)
