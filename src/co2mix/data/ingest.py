"""A CSV file as a co2mix dataset: read, rename, derive, filter, check, split.

The first stage of a CSV profile (``stages/ingest.py``); it writes what the simulator
writes (the reference and current batches) so check, prepare, train and evaluate run
unchanged. Every refusal names the file, the column and, where there is one, the CSV
line (the header is line 1), and happens before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.expressions import expression, require, rows_where
from co2mix.core.io import first_non_number
from co2mix.core.locked import repository_of
from co2mix.core.params import CsvParams
from co2mix.core.records import number
from co2mix.core.schemas import IngestMetrics
from co2mix.data.split import split_rows

LINE = "_csv_line"  # the row's line in the file, for error messages; dropped before writing


@dataclass
class Ingested:
    reference: pd.DataFrame  # the training side of the split
    current: pd.DataFrame  # the test side
    metrics: IngestMetrics


def read_csv(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """The declared columns as text, renamed; a missing file, an empty file or a missing
    declared column is refused naming the file."""
    if not path.is_file():
        raise InputError(f"{path}: CSV file not found (ingest.path)")
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty (expected a header and rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {missing} that ingest.columns declares; "
            f"the file has {list(frame.columns)}"
        )
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no rows")
    frame = frame[list(columns)].rename(columns=columns)
    frame[LINE] = np.arange(len(frame)) + 2
    return frame


def _numeric_column(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    at = first_non_number(frame[column])
    if at is not None:
        raise InputError(
            f"{path}: column {column!r}, line {frame.at[at, LINE]}: "
            f"{frame.at[at, column]!r} is not a number (expected a numeric column)"
        )
    return pd.to_numeric(frame[column]).astype(float)


def _categories(frame: pd.DataFrame, column: str, order: list[str] | None, path: Path) -> None:
    values = frame[column]
    if values.isna().any():
        at = values.isna().idxmax()
        raise InputError(f"{path}: column {column!r}, line {frame.at[at, LINE]}: no category")
    if order is not None:
        unknown = ~values.isin(order)
        if unknown.any():
            at = unknown.idxmax()
            raise InputError(
                f"{path}: column {column!r}, line {frame.at[at, LINE]}: {values[at]!r} is not "
                f"in data.ordinal.{column} {order}"
            )


def typed(frame: pd.DataFrame, params: CsvParams, path: Path) -> pd.DataFrame:
    """Numbers as floats, categories checked (ordinal ones against their order), time
    parsed; the derived columns computed (``ingest.drop`` removes inputs after the filters)."""
    data, ingest = params.data, params.ingest
    out = frame.copy()
    for column in ingest.columns.values():
        if column in data.categorical:
            _categories(out, column, data.ordinal.get(column), path)
        elif column == data.time_column:
            out[column] = pd.to_datetime(out[column], errors="raise")
        elif column != data.id_column and column != ingest.group_column:
            out[column] = _numeric_column(out, column, path)
    for name, text in ingest.derive.items():
        key = f"ingest.derive.{name}"
        derived = expression(text, key)
        require(derived, list(out.columns), key)
        try:
            out[name] = derived.evaluate(out)
        except (TypeError, ValueError) as exc:  # e.g. arithmetic on a text column
            raise ParamsError(f"params.yaml: {key} = {text!r}: {exc}") from None
    return out


def _filtered(frame: pd.DataFrame, filters: list[str], path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    removed: dict[str, int] = {}
    for text in filters:
        kept = frame[rows_where(text, frame, "ingest.filters")]
        removed[text] = len(frame) - len(kept)
        frame = kept
        if frame.empty:
            raise InputError(f"{path}: the filter {text!r} (ingest.filters) leaves no row")
    return frame, removed


def _checked_targets(frame: pd.DataFrame, targets: list[str], path: Path) -> None:
    for target in targets:
        missing = frame[target].isna()
        if missing.any():
            lines = frame.loc[missing, LINE].head(5).tolist()
            raise InputError(
                f"{path}: target {target!r} has no value on {int(missing.sum())} row(s), "
                f"lines {lines}{'...' if missing.sum() > 5 else ''} (a target must be known; "
                "filter those rows with ingest.filters)"
            )


def inside_repository(path: Path, root: Path) -> Path:
    """``path`` resolved (symbolic links followed), refused unless it lies inside the
    repository of ``root``: params from a pull request must not read the machine's files."""
    resolved, repository = path.resolve(), repository_of(root)
    if not resolved.is_relative_to(repository):
        raise ParamsError(
            f"params.yaml: ingest.path = {str(path)!r} resolves to {resolved}, outside the "
            f"repository {repository}: copy the CSV into the repository (datasets/)"
        )
    return resolved


def ingest(params: CsvParams, root: Path = Path(".")) -> Ingested:
    """The CSV of ``params.ingest`` as the reference (training) and current (test) batches."""
    data, ingest_params = params.data, params.ingest
    path = inside_repository(root / ingest_params.path, root)
    raw = read_csv(path, ingest_params.columns)
    frame, removed = _filtered(typed(raw, params, path), ingest_params.filters, path)
    frame = frame.drop(columns=ingest_params.drop)
    missing = [c for c in data.targets if c not in frame.columns]
    if missing:
        raise ParamsError(
            f"params.yaml: data.targets {missing} are neither in ingest.columns nor derived"
        )
    _checked_targets(frame, data.targets, path)
    if data.id_column not in frame.columns:  # made: the row's position in the file
        frame.insert(0, data.id_column, frame[LINE] - 2)
    reference, current = split_rows(
        frame,
        ingest_params.split,
        ingest_params.test_fraction,
        ingest_params.seed,
        data.order_column,
        ingest_params.group_column,
    )
    metrics = _ingest_metrics(params, len(raw), removed, reference, current)
    reference, current = (f.drop(columns=LINE).reset_index(drop=True) for f in (reference, current))
    return Ingested(reference, current, metrics)


def _ingest_metrics(
    params: CsvParams,
    rows_read: int,
    removed: dict[str, int],
    reference: pd.DataFrame,
    current: pd.DataFrame,
) -> IngestMetrics:
    data, ingest_params = params.data, params.ingest
    both = pd.concat([reference, current])
    special = {data.id_column, data.order_column, ingest_params.group_column, LINE}
    metrics: IngestMetrics = {
        "file": Path(ingest_params.path).name,
        "rows_read": rows_read,
        "rows_removed_by_filter": removed,
        "rows": {"reference": len(reference), "current": len(current)},
        "split": ingest_params.split,
        "numeric": [
            c for c in both.columns if c not in special and c not in data.categorical
        ],
        "categorical": {
            c: data.ordinal.get(c, sorted(both[c].unique().tolist()))
            for c in data.categorical
            if c in both.columns
        },
        "target_means": {t: number(both[t].mean(), 4) for t in data.targets},
    }
    if ingest_params.group_column:
        group = ingest_params.group_column
        metrics["groups"] = {
            "reference": int(reference[group].nunique()),
            "current": int(current[group].nunique()),
        }
    return metrics
