"""How far a reproduced metric may move from the committed one: declared here, once.

A metric reproduces when ``|reproduced - committed|`` is within the default relative
tolerance (:data:`DEFAULT`) of the larger magnitude, or within a wider tolerance declared
below for the keys it matches, with the reason beside it. Records are written at seven
significant digits (:func:`co2mix.core.records.at_precision`), so one unit of the last
digit, what a last-bit difference that straddles a rounding boundary moves, is within
the default. Numbers, strings and booleans that are not floats must be equal.

Same machine, same params, same seeds: every file is byte-identical. Another CPU (BLAS
kernels differ in the last bits) moves values within these bounds; a metric that moves
by more is either a bug or chaotic, and chaotic metrics are not committed (the stability
test, ``tests/reliability/test_stability.py``, perturbs the training data by 1e-12 and
holds every metric to these same tolerances).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Tolerance:
    relative: float
    absolute: float = 0.0
    reason: str = "default: last-bit differences of BLAS kernels stay far below it"


DEFAULT = Tolerance(relative=1e-6)

# file:key glob -> a wider tolerance, each with its reason. Keys are dotted paths
# (``optimizers.dual_annealing.gap_to_optimum_pct``); CSV cells are ``row.column``.
WIDER: dict[str, Tolerance] = {}


def tolerance_for(file: str, key: str) -> Tolerance:
    """The declared tolerance of ``key`` in ``file`` (the first matching entry of WIDER)."""
    name = f"{file}:{key}"
    for pattern, tolerance in WIDER.items():
        if fnmatchcase(name, pattern):
            return tolerance
    return DEFAULT
