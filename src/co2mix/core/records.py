"""Every record file is written and read here, checked against its schema.

The schemas are in :mod:`co2mix.core.schemas`; :data:`SCHEMAS` says which file has which.
A stage never writes, and the report never reads, a record of the wrong shape: the error
names the file and the keys that are wrong.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import TypeAdapter, ValidationError

from co2mix.core import paths, schemas, schemas_forecast, schemas_optimize
from co2mix.core.errors import InputError
from co2mix.core.io import StagedOutputs, loads_json, read_json

# ------------------------------------------------------------------ reading and writing

SCHEMAS: dict[Path, Any] = {
    paths.TRUTH: schemas.TruthRecord,
    paths.GENERATE_METRICS: schemas.GenerateMetrics,
    paths.INGEST_METRICS: schemas.IngestMetrics,
    paths.CHECK_METRICS: schemas.CheckMetrics,
    paths.PREPARE_METRICS: schemas.PrepareMetrics,
    paths.EVALUATE_METRICS: schemas.EvaluateMetrics,
    paths.EXPLANATIONS: schemas.Explanations,
    paths.REFRESH_METRICS: schemas.RefreshMetrics,
    paths.OPTIMIZE_METRICS: schemas_optimize.OptimizeMetrics,
    paths.DESIGN_METRICS: schemas_optimize.DesignMetrics,
    paths.OPTIMIZE_RUNS: list[schemas_optimize.RunRecord],
    paths.FORECAST_METRICS: schemas_forecast.ForecastMetrics,
}  # and every metrics/train/<model>.json: dict[str, schemas.TrainMetrics] (by target)

Record = TypeVar("Record")


SIGNIFICANT_DIGITS = 7  # every float a record commits: see at_precision


def number(value: float, digits: int = 6) -> float:
    """A number as records commit it: a plain float, rounded (6 digits unless given)."""
    return round(float(value), digits)


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (a non-finite value unchanged)."""
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else value


def at_precision(record: Any) -> Any:
    """Every float of ``record`` at ``SIGNIFICANT_DIGITS`` significant digits: a metric means
    no more, and a last-bit difference of another CPU then rewrites no file unless it
    straddles a rounding boundary (``co2mix verify`` allows one unit of the last digit).
    Seven, not six: one unit of the 7th digit is at most 1e-6 of the value, verify's
    default relative tolerance."""
    if isinstance(record, dict):
        return {k: at_precision(v) for k, v in record.items()}
    if isinstance(record, list | tuple):
        return [at_precision(v) for v in record]
    if isinstance(record, float):
        return significant(record)
    return record


@cache
def _adapter(schema: Any) -> TypeAdapter[Any]:
    return TypeAdapter(schema)


def check(record: Record, schema: Any, where: str) -> Record:
    """``record`` if it has ``schema``'s shape; an :class:`InputError` naming ``where`` if not."""
    try:
        _adapter(schema).validate_python(record)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        raise InputError(f"{where}: not a valid record ({problems})") from None
    return record


def write(
    out: StagedOutputs, path: Path, record: Any, schema: Any = None, compact: bool = False
) -> None:
    """Stage ``record`` for ``path`` after checking it against its schema
    (``SCHEMAS[path]`` unless given)."""
    checked = check(record, schema or SCHEMAS[path], str(path))
    out.json(at_precision(checked), path, compact=compact)


def write_table(out: StagedOutputs, path: Path, frame: pd.DataFrame) -> None:
    """Stage plot data for ``path`` as CSV, its floats at the records' precision."""
    out.text(frame.to_csv(index=False, float_format=f"%.{SIGNIFICANT_DIGITS}g"), path)


def read(path: Path, schema: type[Record], root: Path = Path(".")) -> Record | None:
    """The record at ``root / path`` checked against ``schema``; None when it does not exist."""
    raw = read_json(root / path)
    return None if raw is None else check(raw, schema, str(root / path))


def parse_text(text: str | None, schema: type[Record], where: str) -> Record | None:
    """A record from JSON text (a file at another git revision), or None for no text."""
    return None if not text else check(loads_json(text, where), schema, where)
