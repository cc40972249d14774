"""The one function that splits training rows into fitting and validation rows.

Every split inside training goes through :func:`validation_folds`: a model's validation
score and early stopping, the XGBoost search's objective (one split or K folds), poly2's
choice of ridge penalty, the GP's validation fit, and evaluate's cross-validation over all
rows. It follows the dataset's :class:`~co2mix.core.params.RowStructure`, the way the
train/test split does:

- ``group``: a group (BOxCrete's mix, tested at five ages) is never on both sides. A
  random row split put the same mix at one age in the fitting rows and at another in the
  validation rows, so the search rewarded models that memorise mixes (issue 30).
- ``time``: validation rows all come after the fitting rows (a forecast of later rows).
- ``random``: seeded shuffles, as before (the plant's batches are independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    TimeSeriesSplit,
    train_test_split,
)

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.params import RowStructure

Fold = tuple[np.ndarray, np.ndarray]  # (fitting, validation) row positions


def validation_folds(
    structure: RowStructure,
    labels: pd.Series | None,
    rows: pd.Index,
    folds: int,
    fraction: float,
    seed: int,
) -> list[Fold]:
    """(fitting, validation) positions into ``rows``: one split holding out ``fraction``
    (``folds`` = 1) or ``folds`` folds. ``labels`` holds every training row's group or
    time, indexed like the training frame (``rows`` is a subset of its index); it is
    unused for ``random``."""
    count = len(rows)
    if structure.kind == "random":
        if folds == 1:
            fit, val = train_test_split(np.arange(count), test_size=fraction, random_state=seed)
            return [(fit, val)]
        return list(KFold(folds, shuffle=True, random_state=seed).split(np.arange(count)))
    if labels is None:
        raise ValueError(f"a {structure.kind} structure needs the rows' {structure.column!r}")
    values = labels.loc[rows].to_numpy()
    if structure.kind == "group":
        return _grouped(values, folds, fraction, seed, str(structure.column))
    return _ordered(values, folds, fraction, str(structure.column))


def _grouped(values: np.ndarray, folds: int, fraction: float, seed: int, column: str) -> list[Fold]:
    """Whole groups on each side: ``GroupShuffleSplit`` (``fraction`` of the groups) for
    one split, ``GroupKFold`` for K."""
    groups = len(pd.unique(values))
    if groups < max(folds, 2):
        raise InputError(
            f"{groups} distinct {column!r} in the training rows: cannot validate on "
            f"{max(folds, 2)} whole groups (lower train.cv_folds, or use more groups)"
        )
    positions = np.arange(len(values))
    if folds == 1:
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        return [next(splitter.split(positions, groups=values))]
    return list(GroupKFold(folds).split(positions, groups=values))


def _ordered(values: np.ndarray, folds: int, fraction: float, column: str) -> list[Fold]:
    """Validation after fitting in ``column``'s order: the latest ``fraction`` of the rows
    for one split, scikit-learn's expanding-window ``TimeSeriesSplit`` for K."""
    order = np.argsort(values, kind="stable")
    if len(order) < folds + 1:
        raise ParamsError(f"{len(order)} rows cannot make {folds} time-ordered folds")
    if folds == 1:
        cut = len(order) - max(1, round(fraction * len(order)))
        return [(order[:cut], order[cut:])]
    return [(order[fit], order[val]) for fit, val in TimeSeriesSplit(folds).split(order)]


def describe_folds(structure: RowStructure, folds: int, fraction: float) -> str:
    """How :func:`validation_folds` splits, for the metrics: "5 folds grouped by mix"."""
    how = {"random": "at random", "group": "grouped by", "time": "ordered by"}[structure.kind]
    split = f"{folds} folds" if folds > 1 else f"one split ({fraction:g})"
    return f"{split} {how} {structure.column or ''}".strip()
