"""The raw batches a dataset arrives in (reference and current), checked against params."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from co2mix.core import paths, records
from co2mix.core.io import read_parquet
from co2mix.core.params import Params
from co2mix.core.params_file import require_columns
from co2mix.core.schemas import TruthRecord
from co2mix.core.contracts import check_frame


def validate_columns(
    columns: list[str], params: Params, source: str, *, check_features: bool = True
) -> None:
    """Refuse params that name columns a data file does not have."""
    data = params.data
    require_columns("data.id_column", [data.id_column], columns, source)
    if data.time_column:
        require_columns("data.time_column", [data.time_column], columns, source)
    require_columns("data.targets", data.targets, columns, source)
    require_columns("data.categorical", data.categorical, columns, source)
    require_columns("data.sensor_columns", data.sensor_columns, columns, source)
    if check_features:
        require_columns("check.features", params.check.features, columns, source)


def read_raw_batches(
    params: Params, root: Path = Path("."), *, check_features: bool = True
) -> tuple[dict[str, pd.DataFrame], TruthRecord | None]:
    """The reference and current batches, their columns checked against params, and the
    truth record when the data come from the simulator (None otherwise)."""
    batches = {}
    for name, path in paths.BATCHES.items():
        batches[name] = read_parquet(root / path, stage_hint="generate")
        validate_columns(
            list(batches[name].columns), params, str(path), check_features=check_features
        )
        check_frame(batches[name], params, str(path))
    return batches, records.read(paths.TRUTH, TruthRecord, root)
