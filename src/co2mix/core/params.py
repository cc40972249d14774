"""The typed params tree: every section of params.yaml as a strict, immutable model.

Read through :func:`co2mix.core.params_file.load_params`, the one place that opens the
file; a bad value fails there, before anything is written, naming the key, the value and
what is allowed (``generate.faults.null_rate = 1.5: Input should be less than or equal
to 1``). Rules that need another layer's knowledge (which models the registry has, which
sensors the plant has) are checked by that layer when its stage starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from co2mix.core.expressions import checked
from co2mix.core.params_base import (
    Rate,
    Section,
    Seed,
    ordered,
    unique,
)
from co2mix.core.params_design import Design
from co2mix.core.params_ingest import Ingest
from co2mix.core.params_serve import Serve

if TYPE_CHECKING:
    import pandas as pd

# ------------------------------------------------------------------ data, detect, check, prepare


class Data(Section):
    """The dataset's schema: where rows come from (the simulated plant or a CSV file,
    section ``ingest``), which columns are ids, time, targets, categories and sensors."""

    source: Literal["plant", "csv"]
    id_column: str
    time_column: str | None  # None: rows have no production order but the id's (file order)
    targets: Annotated[list[str], Field(min_length=1)]
    categorical: list[str]
    # categorical columns whose levels have an order (gemological scales...), lowest first
    ordinal: dict[str, Annotated[list[str], Field(min_length=2)]] = Field(default_factory=dict)
    sensor_columns: list[str]  # instrument readings the fault detectors scan (may be none)
    # physical bounds per column, [low, high] (null: open): the contract every stage holds
    # what it reads to (co2mix.core.contracts)
    ranges: dict[str, Annotated[list[float | None], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict
    )

    _unique_columns = field_validator("targets", "categorical", "sensor_columns")(unique)

    @field_validator("ranges")
    @classmethod
    def _bounded(cls, ranges: dict[str, list[float | None]]) -> dict[str, list[float | None]]:
        for column, (low, high) in ranges.items():
            if low is None and high is None:
                raise ValueError(f"{column}: [null, null] bounds nothing (give low, high or both)")
            if low is not None and high is not None:
                try:
                    ordered([low, high])
                except ValueError as exc:
                    raise ValueError(f"{column}: {exc}") from None
        return ranges

    @property
    def order_column(self) -> str:
        """The column rows are ordered by: production time, else the id (file order)."""
        return self.time_column or self.id_column

    @model_validator(mode="after")
    def _disjoint(self) -> Data:
        unordered = sorted(set(self.ordinal) - set(self.categorical))
        if unordered:
            raise ValueError(f"ordinal {unordered} must be listed in categorical too")
        for column, levels in self.ordinal.items():
            if len(set(levels)) != len(levels):
                raise ValueError(f"ordinal.{column} repeats a level: {levels}")
        special = {self.id_column} | ({self.time_column} if self.time_column else set())
        for name in ("targets", "categorical", "sensor_columns"):
            clash = sorted(special & set(getattr(self, name)))
            if clash:
                raise ValueError(f"{name} {clash} is the id or time column")
        clash = sorted(set(self.targets) & set(self.categorical))
        if clash:
            raise ValueError(f"columns {clash} are both targets and categorical")
        clash = sorted(set(self.targets) & set(self.sensor_columns))
        if clash:
            raise ValueError(f"sensor_columns {clash} are targets")
        return self

    def categorical_in(self, columns: list[str]) -> list[str]:
        """The categorical ones among ``columns``, in their order."""
        return [c for c in columns if c in self.categorical]

    def feature_columns(self, columns: list[str]) -> list[str]:
        """Every column that is not the id, the time or a target."""
        special = {self.id_column, self.time_column, *self.targets}
        return [c for c in columns if c not in special]


class Detect(Section):
    """Fault detectors over ``data.sensor_columns``: check reports with them, prepare cleans."""

    stuck_min_readings: Annotated[int, Field(ge=2)]
    spike_z: Annotated[float, Field(gt=0.0)]


class CheckThresholds(Section):
    feature_drift: Rate
    categorical_drift: Rate
    label_drift: Rate
    multivariate_drift: Rate
    max_null_ratio: Rate
    max_duplicate_ratio: Rate
    max_stuck_ratio: Rate
    max_spike_ratio: Rate


class Check(Section):
    features: Annotated[list[str], Field(min_length=1)]
    sample_rows: Annotated[int, Field(ge=0)]
    false_alarm_rate: Annotated[float, Field(gt=0.0, lt=1.0)]
    outlier_rows: Annotated[int, Field(ge=10)]
    seed: Seed
    thresholds: CheckThresholds
    on_fail: Literal["warn", "stop"]

    _unique_features = field_validator("features")(unique)


class Prepare(Section):
    """``split: batches``: the reference batch trains and the current batch tests (a CSV
    source splits its rows at ingest, so check can compare the two sides first)."""

    use: Literal["reference", "current", "both"]
    split: Literal["random", "time", "batches"]
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    seed: Seed
    knn_k: Annotated[int, Field(ge=1)]
    knn_fit_rows: Annotated[int, Field(ge=0)]
    outliers: Literal["keep", "drop"] = "keep"  # implausible rows (co2mix.data.outliers)

    @model_validator(mode="after")
    def _batches_use_both(self) -> Prepare:
        if self.split == "batches" and self.use != "both":
            raise ValueError("split: batches trains on one batch and tests on the other: use: both")
        return self


# ------------------------------------------------------------------ train, evaluate


class Cluster(Section):
    """The Dask cluster ``train.engine: dask`` starts on this machine (a ``LocalCluster``
    on 127.0.0.1) when ``DASK_SCHEDULER_ADDRESS`` names no running scheduler."""

    workers: Annotated[int, Field(ge=1)] = 2
    threads_per_worker: Annotated[int, Field(ge=1)] = 1


class Train(Section):
    """Shared training settings; each model's own block sits beside them (``train.xgboost``)
    and is validated by the model registry (:mod:`co2mix.modeling.registry`) into its
    typed options."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    seed: Seed
    validation_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    models: Annotated[list[str], Field(min_length=1)]
    features: dict[str, Annotated[list[str], Field(min_length=1)]]
    # per target: fit on log(target), predict and report on the original scale
    target_transform: dict[str, Literal["log"]] = Field(default_factory=dict)
    # dask: XGBoost trains through xgboost.dask on a cluster, reading the parquet in partitions
    engine: Literal["local", "dask"] = "local"
    cluster: Cluster = Field(default_factory=Cluster)
    # threads fitting a model's targets side by side (local engine); results do not depend on it
    jobs: Annotated[int, Field(ge=1)] = 1
    # folds the XGBoost search scores each trial on (grouped or time-ordered as the split);
    # 1: one validation split of validation_fraction
    cv_folds: Annotated[int, Field(ge=1, le=20)] = 1

    _unique_models = field_validator("models")(unique)

    def model_block(self, model: str) -> Mapping[str, object]:
        """The raw ``train.<model>`` block (empty when absent), for the registry to validate."""
        block = (self.model_extra or {}).get(model)
        return block if isinstance(block, Mapping) else {}

    def has_model_block(self, model: str) -> bool:
        return model in (self.model_extra or {})


class Evaluate(Section):
    seed: Seed
    noise_levels: Annotated[list[Annotated[float, Field(gt=0.0, le=1.0)]], Field(min_length=1)]
    exact_features: list[str]
    explain_rows: Annotated[int, Field(ge=1, le=100)]
    importance_repeats: Annotated[int, Field(ge=1)]
    plot_rows: Annotated[int, Field(ge=10)]
    # name -> expression over the test rows (co2mix.core.expressions): every model is
    # also scored on the rows where it holds
    slices: dict[str, str] = Field(default_factory=dict)
    _safe_slices = field_validator("slices")(checked)
    # K-fold cross-validation of every model over all rows (train and test; grouped or
    # time-ordered as the split), with the hyper-parameters training chose; 0: none
    cv_folds: Annotated[int, Field(ge=0, le=20)] = 0
    # the score that picks the champion: the test RMSE, or the cross-validated mean RMSE
    champion_by: Literal["test", "cv"] = "test"

    @model_validator(mode="after")
    def _cv_needs_folds(self) -> Evaluate:
        if self.cv_folds == 1:
            raise ValueError("cv_folds: 0 (no cross-validation) or at least 2 folds")
        if self.champion_by == "cv" and self.cv_folds == 0:
            raise ValueError("champion_by: cv needs cv_folds of at least 2")
        return self


class Refresh(Section):
    """Retraining on fresh data: the policy, and how the refreshed models are measured."""

    retrain: Literal["never", "on_drift", "on_degradation", "always"]
    degradation_threshold: Annotated[float, Field(gt=0.0)]
    holdout_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    recent_share: Annotated[float, Field(gt=0.0, lt=1.0)]
    min_rows: Annotated[int, Field(ge=2)]
    interval_level: Annotated[float, Field(gt=0.0, lt=1.0)]


# ------------------------------------------------------------------ the whole file


@dataclass(frozen=True)
class RowStructure:
    """How a dataset's rows hang together, which every split inside training must respect
    as the train/test split does: ``group`` (rows sharing ``column``'s value, the same
    mix at other ages, are one unit), ``time`` (ordered by ``column``: validation comes
    after fitting) or ``random`` (independent rows)."""

    kind: Literal["random", "group", "time"]
    column: str | None = None  # the group column, or the time (order) column


@dataclass(frozen=True)
class RowRule:
    """A rule across a row's columns that the dataset's source imposes on every data
    file (the plant's volume balance): ``holds`` gives one bool per row of a frame that
    has all of ``columns``. The source's params subclass declares it
    (:meth:`Params.row_rules`), so the contract (:mod:`co2mix.core.contracts`) enforces
    it without knowing any source."""

    name: str  # the rule as the refusal names it
    columns: tuple[str, ...]
    holds: Callable[[pd.DataFrame], pd.Series]


class Params(Section):
    """The sections every dataset has; the source's own sections are in the subclasses
    ``PlantParams`` (the simulator, :mod:`co2mix.plant_params.root`) and
    :class:`CsvParams` (a CSV file), which :func:`co2mix.core.params_file.parse_params`
    picks by ``data.source``."""

    data: Data
    detect: Detect
    check: Check
    prepare: Prepare
    train: Train
    evaluate: Evaluate
    refresh: Refresh
    serve: Serve | None = None  # co2mix serve: needed to serve this dataset

    def row_structure(self) -> RowStructure:
        """How the rows hang together (the source's subclass knows)."""
        raise NotImplementedError

    def row_rules(self) -> tuple[RowRule, ...]:
        """Rules across columns every row must keep; a source with physics adds its own."""
        return ()

    @model_validator(mode="after")
    def _features_are_not_special(self) -> Params:
        data = self.data
        special = {data.id_column, data.order_column, *data.targets}
        clash = sorted(set(self.check.features) & special)
        if clash:
            raise ValueError(f"check.features {clash} are the id, time or target columns")
        if set(self.train.features) != set(data.targets):
            raise ValueError(
                f"train.features must list the features of every target in data.targets "
                f"{data.targets}, it has {sorted(self.train.features)}"
            )
        for target, features in self.train.features.items():
            clash = sorted(set(features) & special)
            if clash:
                raise ValueError(f"train.features.{target} {clash} are id, time or targets")
        unknown = sorted(set(self.train.target_transform) - set(data.targets))
        if unknown:
            raise ValueError(f"train.target_transform {unknown} are not in data.targets")
        return self


class CsvParams(Params):
    """A CSV file (section ``ingest``): split at ingest, so prepare keeps the batches."""

    ingest: Ingest
    design: Design | None  # None: no design space, the design stage says so and stops

    @model_validator(mode="after")
    def _csv_source(self) -> CsvParams:
        if self.design is not None:
            unknown = sorted(set(self.design.targets) - set(self.data.targets))
            if unknown:
                raise ValueError(f"design: targets {unknown} are not in data.targets")
        if self.data.source != "csv":
            raise ValueError("data.source must be csv with an ingest section")
        if self.prepare.split != "batches" or self.prepare.use != "both":
            raise ValueError(
                "a CSV source splits its rows at ingest: prepare.split: batches, prepare.use: both"
            )
        return self

    def row_structure(self) -> RowStructure:
        """The structure ingest split the rows by (``ingest.split``)."""
        if self.ingest.split == "group":
            return RowStructure("group", self.ingest.group_column)
        if self.ingest.split == "time":
            return RowStructure("time", self.data.order_column)
        return RowStructure("random")
