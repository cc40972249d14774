"""Data contracts: what every stage checks a data file against before any work.

The contract is built from the dataset's declared schema in params (``data.targets``,
``data.categorical``, ``data.ordinal``, ``data.ranges`` and the model features) as a
pandera ``DataFrameSchema``, so the rules are data, validated lazily in one pass:

- the file has rows (``min_rows``; a split or a model may ask for more);
- no column is entirely empty;
- every target and numeric feature holds numbers (text in a numeric column is named);
- ``data.ranges``: physical bounds per column (masses >= 0, strength and CO2 plausible),
  which is what catches garbage that parses as numbers (a flipped byte in a parquet page
  turned coarse aggregate into -0.004 kg/m3 and passed every stage before);
- ordered categories hold only their declared levels;
- the source's rules across columns (:meth:`co2mix.core.params.Params.row_rules`): the
  simulated plant's rows close the volume balance (sum of mass / density plus air is
  1 m3), the physics every other column of the plant is derived from.

A violation is one :class:`InputError` line naming the file, the column, the rule and a
few offending rows; the other violations are counted in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from co2mix.core.errors import InputError
from co2mix.core.io import read_parquet
from co2mix.core.params import Params

EXAMPLES = 3  # offending rows quoted in a message
EMPTY_COLUMN = "at least one value (this column has none)"


def _is_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").notna() | values.isna()


def _range_check(low: float | None, high: float | None) -> pa.Check:
    where = "data.ranges"
    if low is not None and high is not None:
        return pa.Check.in_range(low, high, error=f"{where}: in [{low}, {high}]")
    if low is not None:
        return pa.Check.ge(low, error=f"{where}: >= {low}")
    return pa.Check.le(high, error=f"{where}: <= {high}")


def numeric_columns(params: Params) -> list[str]:
    """The columns a model reads as numbers: targets and non-categorical features."""
    features = [c for cols in params.train.features.values() for c in cols]
    wanted = [*params.data.targets, *features, *params.data.ranges]
    return [c for c in dict.fromkeys(wanted) if c not in params.data.categorical]


def frame_schema(params: Params, frame: pd.DataFrame) -> pa.DataFrameSchema:
    """The contract of ``frame`` under ``params``: one pandera column per column present
    (checks only where a rule applies); required columns are refused earlier by name."""
    data = params.data
    numeric = set(numeric_columns(params))
    columns: dict[str, pa.Column] = {}
    for column in frame.columns:
        checks = [pa.Check(lambda s: bool(s.notna().any()), error=EMPTY_COLUMN)]
        if column in numeric and not pd.api.types.is_numeric_dtype(frame[column]):
            checks.append(pa.Check(_is_number, error="a number"))
        elif column in data.ranges:
            low, high = data.ranges[column]
            checks.append(_range_check(low, high))
        if column in data.ordinal:
            levels = data.ordinal[column]
            checks.append(pa.Check.isin(levels, error=f"data.ordinal: one of {levels}"))
        columns[column] = pa.Column(checks=checks, nullable=True, required=False)
    frame_checks = [
        pa.Check(rule.holds, error=rule.name)
        for rule in params.row_rules()
        if set(rule.columns) <= set(frame.columns)
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks)


def check_frame(frame: pd.DataFrame, params: Params, source: str, min_rows: int = 1) -> None:
    """Refuse ``frame`` (read from ``source``) when it breaks the dataset's contract."""
    if len(frame) < min_rows:
        raise InputError(f"{source}: {len(frame)} rows (expected at least {min_rows})")
    if frame.empty:  # allowed empty (no fresh rows yet): no column can have values
        return
    try:
        frame_schema(params, frame).validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise InputError(f"{source}: {describe_failures(exc.failure_cases)}") from None


def describe_failures(failures: pd.DataFrame) -> str:
    """The first broken rule as one line: a column's rule before a whole-row rule (a bad
    column breaks the row's too), how many rows, a few of them, and how many more rules."""
    failures = failures.assign(
        rule=np.where(
            failures["schema_context"] == "DataFrameSchema", "", failures["column"].astype(str)
        )
    ).sort_values("rule", key=lambda r: r == "", kind="stable")
    first = failures.iloc[0]
    broken = failures[(failures["rule"] == first["rule"]) & (failures["check"] == first["check"])]
    rows = broken.drop_duplicates("index").dropna(subset=["index"])
    if pd.api.types.is_numeric_dtype(rows["index"]):
        rows = rows.sort_values("index")
    others = len(failures[["rule", "check"]].drop_duplicates()) - 1
    more = f" (and {others} other broken rule(s))" if others else ""
    if first["rule"] == "":
        listed = ", ".join(str(i) for i in rows["index"].head(EXAMPLES))
        return f"rule '{first['check']}': {len(rows)} row(s) break it, e.g. rows {listed}{more}"
    what = f"column {first['rule']!r}, rule '{first['check']}'"
    if rows.empty:  # a rule on the whole column (it has no value at all)
        return f"{what}: broken{more}"
    shown = rows.head(EXAMPLES)
    listed = ", ".join(
        f"row {i}: {_shown(v)}" for i, v in zip(shown["index"], shown["failure_case"], strict=True)
    )
    return f"{what}: {len(rows)} row(s) break it, e.g. {listed}{more}"


def _shown(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float | np.floating) else repr(value)


def read_checked(path: Path, params: Params, stage_hint: str, min_rows: int = 1) -> pd.DataFrame:
    """A stage's data input, read and held to the contract before any work."""
    frame = read_parquet(path, stage_hint=stage_hint)
    check_frame(frame, params, str(path), min_rows)
    return frame
