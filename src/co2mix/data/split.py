"""Train/test splits: at random (seeded), by time (the latest rows test), or by group
(every row of a group on one side: the same concrete mix at other ages must not be
learned from and then tested on)."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from co2mix.core.errors import InputError

SplitKind = Literal["random", "time", "group"]


def split_rows(
    frame: pd.DataFrame,
    kind: SplitKind,
    test_fraction: float,
    seed: int,
    order_column: str,
    group_column: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test), each in ``order_column`` order. ``random`` shuffles positions in
    that order with scikit-learn's ``train_test_split`` (a CSV in file order therefore
    splits exactly as ``train_test_split(df, test_size, random_state)`` on the file);
    ``group`` takes ``test_fraction`` of the groups with ``GroupShuffleSplit``."""
    ordered = frame.sort_values(order_column, kind="stable").reset_index(drop=True)
    if len(ordered) < 2:
        raise InputError(f"cannot split {len(ordered)} row(s) into train and test")
    if kind == "time":
        cut = len(ordered) - max(1, round(test_fraction * len(ordered)))
        return ordered.iloc[:cut].copy(), ordered.iloc[cut:].copy()
    if kind == "group":
        assert group_column is not None  # the params validators require it
        groups = ordered[group_column]
        if groups.nunique() < 2:
            raise InputError(f"split by {group_column}: needs 2 groups, has {groups.nunique()}")
        splitter = GroupShuffleSplit(n_splits=1, test_size=test_fraction, random_state=seed)
        train_at, test_at = next(splitter.split(ordered, groups=groups))
        return ordered.iloc[sorted(train_at)].copy(), ordered.iloc[sorted(test_at)].copy()
    train, test = train_test_split(ordered, test_size=test_fraction, random_state=seed)
    return train.sort_index(), test.sort_index()
