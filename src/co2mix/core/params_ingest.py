"""The ``ingest`` section: a CSV file as a co2mix dataset (``data.source: csv``).

The file's columns are renamed to the names the rest of params.yaml uses, derived
columns are computed (unit conversions, a log age), rows are filtered, and the rows are
split into the reference (training) and current (test) batches here, so the check stage
can compare the two sides before anything trains. Column kinds come from ``data``:
``data.categorical`` (and ``data.ordinal``, with their order) are categories, every other
kept column but the id and time is a number.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from co2mix.core.expressions import checked
from co2mix.core.params_base import Section, Seed


class Ingest(Section):
    path: str  # the CSV file, relative to the directory of the params file (the stage's wdir)
    columns: Annotated[dict[str, str], Field(min_length=1)]  # CSV header -> name here
    derive: dict[str, str] = Field(
        default_factory=dict
    )  # name -> expression over the columns (co2mix.core.expressions)
    drop: list[str] = Field(default_factory=list)  # columns only read to derive others
    filters: list[str] = Field(
        default_factory=list
    )  # expressions (co2mix.core.expressions): a row is kept when it passes all
    split: Literal["random", "group", "time"]
    group_column: str | None = None  # split: group: all rows of one group on one side
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    seed: Seed

    _safe_expressions = field_validator("derive", "filters")(checked)

    @model_validator(mode="after")
    def _names(self) -> Ingest:
        names = list(self.columns.values())
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"columns: names given to more than one CSV column: {repeated}")
        clash = sorted(set(self.derive) & set(names))
        if clash:
            raise ValueError(f"derive: {clash} are already CSV columns")
        unknown = sorted(set(self.drop) - set(names) - set(self.derive))
        if unknown:
            raise ValueError(f"drop: {unknown} are neither CSV nor derived columns")
        if self.split == "group" and not self.group_column:
            raise ValueError("split: group needs group_column (the column whose groups stay whole)")
        return self

    def kept_columns(self) -> list[str]:
        """The dataset's columns after renaming, deriving and dropping, in that order."""
        return [c for c in [*self.columns.values(), *self.derive] if c not in self.drop]
