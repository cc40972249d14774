"""``co2mix feed export``: the sink's batches as the raw data file the pipeline reads.

A batch joins its lab result (the strength label); batches produced in [since, until)
whose lab result had come back are written, in production order, with the plant's
columns and types (the reference file's categories first, a new level after them), and
held to the same data contract as the generate stage's output before the file is
replaced. A batch still waiting for its lab result is counted and left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from co2mix.core.contracts import check_frame
from co2mix.core.errors import InputError
from co2mix.feed.sink import Sink
from co2mix.physics.truth import STRENGTH
from co2mix.plant_params.root import PlantParams
from co2mix.simulate.plant import COLUMNS


@dataclass(frozen=True)
class Exported:
    frame: pd.DataFrame
    waiting: int  # batches in the period still without a lab result


def exported(
    sink: Sink, params: PlantParams, since: dt.datetime | None, until: dt.datetime | None
) -> Exported:
    batches, labs = sink.read("batches"), sink.read("labs")
    if batches.empty:
        raise InputError(f"{sink.root}: the feed's sink holds no batches (co2mix feed consume)")
    produced = pd.to_datetime(batches["produced_at"])
    keep = pd.Series(True, index=batches.index)
    if since is not None:
        keep &= produced >= since
    if until is not None:
        keep &= produced < until
    batches = batches[keep].drop_duplicates("batch_id")
    if labs.empty:
        labs = pd.DataFrame({"batch_id": pd.Series(dtype="int64"), "strength_mpa": []})
    labs = labs.drop_duplicates("batch_id")[["batch_id", "strength_mpa"]]
    joined = batches.merge(labs, on="batch_id", how="inner").rename(
        columns={"strength_mpa": STRENGTH}
    )
    data = params.data
    joined = joined.rename(columns={"batch_id": data.id_column, "produced_at": data.time_column})
    frame = joined[[data.id_column, data.time_column, *COLUMNS]].sort_values(
        [data.time_column, data.id_column], kind="stable"
    )
    frame[data.time_column] = pd.to_datetime(frame[data.time_column]).astype("datetime64[ns]")
    return Exported(frame.reset_index(drop=True), int(len(batches) - len(joined)))


def with_reference_types(frame: pd.DataFrame, reference: Path | None) -> pd.DataFrame:
    """Categorical columns as the reference file has them (its levels first)."""
    if reference is None or not reference.exists():
        return frame
    types = pd.read_parquet(reference).dtypes
    out = frame.copy()
    for column, dtype in types.items():
        if column in out and isinstance(dtype, pd.CategoricalDtype):
            seen = [str(c) for c in dtype.categories]
            extra = sorted(set(out[column].astype(str)) - set(seen))
            out[column] = pd.Categorical(out[column].astype(str), categories=[*seen, *extra])
        elif column in out:
            out[column] = out[column].astype(dtype)
    return out


def write_export(frame: pd.DataFrame, params: PlantParams, out: Path) -> None:
    """Held to the data contract, then written whole (a temporary file renamed)."""
    check_frame(frame, params, f"co2mix feed export -> {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    frame.to_parquet(temporary, index=False)
    temporary.replace(out)
