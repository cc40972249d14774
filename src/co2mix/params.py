"""Typed, validated access to params.yaml: the one place that reads it.

Every stage loads its section through :func:`load_params`; a bad value fails here,
before anything is written, with a message that names the key, the value and what
is allowed (``generate.faults.null_rate = 1.5: expected a number <= 1``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCENARIOS = ("none", "winter", "supplier", "recipes", "sensor_fault")
SENSOR_COLUMNS = (
    "ambient_temp_c",
    "humidity_pct",
    "curing_temp_c",
    "mixing_time_s",
    "drum_rpm",
    "mixing_energy_kwh",
    "heating_energy_kwh",
)

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class ParamsError(ValueError):
    """A params file that cannot be used; the message names the key."""


class _Strict(BaseModel):
    """No unknown keys, no silent type coercion ("5" is not an int)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Period(_Strict):
    rows: Annotated[int, Field(ge=1)]
    start: Annotated[dt.date, Field(strict=False)]
    end: Annotated[dt.date, Field(strict=False)]

    @model_validator(mode="after")
    def _end_after_start(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Current(Period):
    scenario: Literal["none", "winter", "supplier", "recipes", "sensor_fault"]
    magnitude: NonNegative


class Faults(_Strict):
    sensor_columns: list[str]
    null_rate: Rate
    spike_rate: Rate
    duplicate_rate: Rate
    tampered_start_rate: Rate
    tampered_hours: Annotated[list[Positive], Field(min_length=2, max_length=2)]

    @field_validator("sensor_columns")
    @classmethod
    def _known_sensors(cls, columns: list[str]) -> list[str]:
        unknown = sorted(set(columns) - set(SENSOR_COLUMNS))
        if unknown:
            raise ValueError(f"unknown sensor column(s) {unknown}; allowed: {list(SENSOR_COLUMNS)}")
        if len(set(columns)) != len(columns):
            raise ValueError("sensor columns must not repeat")
        return columns

    @field_validator("tampered_hours")
    @classmethod
    def _ordered(cls, hours: list[float]) -> list[float]:
        if hours[0] > hours[1]:
            raise ValueError(f"expected [shortest, longest], got {list(hours)}")
        return hours


class Noise(_Strict):
    co2_sigma: NonNegative
    strength_sigma: NonNegative
    dosing_cv: Annotated[float, Field(ge=0.0, le=0.2)]


class EmissionFactors(_Strict):
    cement: NonNegative
    slag: NonNegative
    fly_ash: NonNegative
    water: NonNegative
    superplasticizer: NonNegative
    coarse_agg: NonNegative
    fine_agg: NonNegative
    grid_kwh: NonNegative
    truck_t_km: NonNegative


class StrengthModel(_Strict):
    abrams_a_mpa: Positive
    abrams_b: Annotated[float, Field(gt=1.0)]
    k_slag: Annotated[float, Field(ge=0.0, le=1.5)]
    k_fly_ash: Annotated[float, Field(ge=0.0, le=1.5)]
    s_cem_i: Positive
    s_high_scm: Positive
    scm_share_slow: Annotated[float, Field(gt=0.0, le=1.0)]
    maturity_datum_c: Annotated[float, Field(lt=20.0)]


class Supplier(_Strict):
    share: Rate
    strength_factor: Positive


class Process(_Strict):
    transport_km_median: Annotated[float, Field(gt=2.0, lt=90.0)]
    heating_below_c: float
    heating_efficiency: Annotated[float, Field(gt=0.0, le=1.0)]
    heating_standby_kwh: NonNegative
    plant_base_kwh: NonNegative


class Generate(_Strict):
    seed: Annotated[int, Field(ge=0)]
    reference: Period
    current: Current
    faults: Faults
    noise: Noise
    emission_factors: EmissionFactors
    strength: StrengthModel
    suppliers: dict[str, Supplier]
    process: Process

    @field_validator("suppliers")
    @classmethod
    def _shares_sum_to_one(cls, suppliers: dict[str, Supplier]) -> dict[str, Supplier]:
        if not suppliers:
            raise ValueError("at least one supplier is needed")
        total = sum(s.share for s in suppliers.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"supplier shares must sum to 1, they sum to {total:g}")
        return suppliers

    @model_validator(mode="after")
    def _current_after_reference(self) -> Generate:
        if self.current.start < self.reference.end:
            raise ValueError(
                f"current.start ({self.current.start}) must not be before "
                f"reference.end ({self.reference.end}): the current batch is produced after it"
            )
        return self


def _unique(values: list[str]) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"columns listed more than once: {repeated}")
    return values


class Detect(_Strict):
    """Fault detectors, shared by the check stage (report) and prepare (cleaning)."""

    columns: Annotated[list[str], Field(min_length=1)]
    stuck_min_readings: Annotated[int, Field(ge=2)]
    spike_z: Annotated[float, Field(gt=0.0)]

    _unique_columns = field_validator("columns")(_unique)


class CheckThresholds(_Strict):
    feature_drift: Rate
    categorical_drift: Rate
    label_drift: Rate
    multivariate_drift: Rate
    max_null_ratio: Rate
    max_duplicate_ratio: Rate
    max_stuck_ratio: Rate
    max_spike_ratio: Rate


class Data(_Strict):
    """The schema of the raw batches: which columns are ids, time, targets, categories."""

    id_column: str
    time_column: str
    targets: Annotated[list[str], Field(min_length=1)]
    categorical: list[str]

    _unique_targets = field_validator("targets", "categorical")(_unique)

    @model_validator(mode="after")
    def _disjoint(self) -> Data:
        special = {self.id_column, self.time_column}
        for name, columns in (("targets", self.targets), ("categorical", self.categorical)):
            clash = sorted(special & set(columns))
            if clash:
                raise ValueError(f"{name} {clash} is the id or time column")
        clash = sorted(set(self.targets) & set(self.categorical))
        if clash:
            raise ValueError(f"columns {clash} are both targets and categorical")
        return self

    def feature_columns(self, columns: list[str]) -> list[str]:
        """Every column that is not the id, the time or a target."""
        special = {self.id_column, self.time_column, *self.targets}
        return [c for c in columns if c not in special]


class Check(_Strict):
    features: Annotated[list[str], Field(min_length=1)]
    sample_rows: Annotated[int, Field(ge=0)]
    seed: Annotated[int, Field(ge=0)]
    thresholds: CheckThresholds
    on_fail: Literal["warn", "stop"]

    _unique_features = field_validator("features")(_unique)


class Prepare(_Strict):
    use: Literal["reference", "current", "both"]
    split: Literal["random", "time"]
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    seed: Annotated[int, Field(ge=0)]
    knn_k: Annotated[int, Field(ge=1)]
    knn_fit_rows: Annotated[int, Field(ge=0)]


class Train(_Strict):
    """Training: shared settings; each model's own block sits beside them (``train.xgboost``)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    seed: Annotated[int, Field(ge=0)]
    validation_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    models: Annotated[list[str], Field(min_length=1)]
    features: dict[str, Annotated[list[str], Field(min_length=1)]]

    _unique_models = field_validator("models")(_unique)

    def options_block(self, model: str) -> Any:
        return (self.model_extra or {}).get(model)


class Evaluate(_Strict):
    seed: Annotated[int, Field(ge=0)]
    noise_levels: Annotated[list[Annotated[float, Field(gt=0.0, le=1.0)]], Field(min_length=1)]
    exact_features: list[str]
    explain_rows: Annotated[int, Field(ge=1, le=100)]
    importance_repeats: Annotated[int, Field(ge=1)]
    plot_rows: Annotated[int, Field(ge=10)]


DECISION_VARIABLES = ("cement", "slag", "fly_ash", "water", "superplasticizer", "coarse_agg")
REMEDY_SURROGATES = ("xgboost_monotone", "ensemble")  # built by optimize from trained models
OPTIMIZERS = ("differential_evolution", "dual_annealing", "direct", "random_search")
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]


class MixLimits(_Strict):
    """Engineering limits of a mix. Inverted pairs are allowed here: optimize reports
    such a setup as infeasible (``feasible: false``) instead of refusing to start."""

    water_binder: Pair
    scm_share_max: Rate
    fly_ash_share_max: Rate
    fine_agg_min_kg: NonNegative


class OptimizeContext(_Strict):
    """The production context held fixed while the mix varies."""

    ambient_temp_c: Annotated[float, Field(ge=-30.0, le=50.0)]
    transport_km: NonNegative
    age_days: Annotated[float, Field(gt=0.0)]
    mixing_time_s: Positive
    drum_rpm: Positive
    cement_supplier: str


class Support(_Strict):
    """Where the surrogate may be trusted: inside the training mixes' quantile box and
    near a training mix (standardized distance below a quantile of their own NN distances)."""

    enabled: bool
    box_quantile: Annotated[float, Field(ge=0.0, lt=0.5)]
    neighbour_quantile: Annotated[float, Field(gt=0.0, le=1.0)]
    fit_rows: Annotated[int, Field(ge=0)]


class Optimize(_Strict):
    surrogate: str
    surrogates: Annotated[list[str], Field(min_length=1)]
    optimizers: Annotated[list[Literal[OPTIMIZERS]], Field(min_length=1)]  # type: ignore[valid-type]
    strength_target_mpa: Positive
    truth_tolerance_mpa: NonNegative
    safety_margin_rmse: NonNegative
    remedy_margin_rmse: NonNegative
    ensemble_penalty_std: NonNegative
    monotone: dict[str, dict[str, Literal[-1, 0, 1]]]
    bounds: dict[str, Pair]
    limits: MixLimits
    context: OptimizeContext
    support: Support
    budget: Annotated[int, Field(ge=100)]
    popsize: Annotated[int, Field(ge=5)]
    seeds: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    truth_budget: Annotated[int, Field(ge=1000)]
    pareto_targets_mpa: Annotated[list[Positive], Field(min_length=1)]

    _unique_surrogates = field_validator("surrogates")(_unique)
    _unique_optimizers = field_validator("optimizers")(_unique)
    _unique_seeds = field_validator("seeds")(_unique)

    @field_validator("bounds")
    @classmethod
    def _every_variable(cls, bounds: dict[str, list[float]]) -> dict[str, list[float]]:
        if list(bounds) != list(DECISION_VARIABLES):
            raise ValueError(f"expected bounds for exactly {list(DECISION_VARIABLES)}, in order")
        return bounds

    @model_validator(mode="after")
    def _surrogate_listed(self) -> Optimize:
        if self.surrogate not in self.surrogates:
            raise ValueError(
                f"surrogate {self.surrogate!r} must be one of surrogates {self.surrogates}"
            )
        return self


class Params(_Strict):
    generate: Generate
    data: Data
    detect: Detect
    check: Check
    prepare: Prepare
    train: Train
    evaluate: Evaluate
    optimize: Optimize

    @model_validator(mode="after")
    def _features_are_not_special(self) -> Params:
        data = self.data
        special = {data.id_column, data.time_column, *data.targets}
        clash = sorted(set(self.check.features) & special)
        if clash:
            raise ValueError(f"check.features {clash} are the id, time or target columns")
        clash = sorted(set(self.detect.columns) & special)
        if clash:
            raise ValueError(f"detect.columns {clash} are the id, time or target columns")
        if set(self.train.features) != set(data.targets):
            raise ValueError(
                f"train.features must list the features of every target in data.targets "
                f"{data.targets}, it has {sorted(self.train.features)}"
            )
        for target, features in self.train.features.items():
            clash = sorted(set(features) & special)
            if clash:
                raise ValueError(f"train.features.{target} {clash} are id, time or targets")
        return self

    def check_optimize(self) -> None:
        """Cross-section rules of ``optimize``, checked by the optimize stage only: a
        surrogate that names a model not in ``train.models`` must not stop the other stages
        (``dvc exp run -S train.models=[linear]`` still trains)."""
        try:
            self._optimize_rules()
        except ValueError as exc:
            raise ParamsError(f"params.yaml: {exc}") from None

    def _optimize_rules(self) -> None:
        known = [*self.train.models, *REMEDY_SURROGATES]
        unknown = [s for s in self.optimize.surrogates if s not in known]
        if unknown:
            raise ValueError(
                f"optimize.surrogates {unknown} are neither in train.models "
                f"{self.train.models} nor remedies {list(REMEDY_SURROGATES)}"
            )
        if "xgboost_monotone" in self.optimize.surrogates and "xgboost" not in self.train.models:
            raise ValueError("optimize.surrogates: xgboost_monotone needs xgboost in train.models")
        supplier = self.optimize.context.cement_supplier
        if supplier not in self.generate.suppliers:
            raise ValueError(
                f"optimize.context.cement_supplier {supplier!r} is not one of "
                f"generate.suppliers {sorted(self.generate.suppliers)}"
            )
        for target, constraints in self.optimize.monotone.items():
            if target not in self.data.targets:
                raise ValueError(f"optimize.monotone.{target}: not a target {self.data.targets}")
            extra = sorted(set(constraints) - set(self.train.features[target]))
            if extra:
                raise ValueError(
                    f"optimize.monotone.{target}: {extra} are not in train.features.{target}"
                )


def _describe(error: dict[str, Any], source: str) -> str:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if not key:  # a rule across sections: the message names the keys itself
        return f"{source}: {message}"
    if error["type"] == "missing":
        return f"{source}: missing key {key}"
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown key {key}"
    return f"{source}: {key} = {error['input']!r}: {message}"


def parse_params(raw: Any, source: str = "params.yaml") -> Params:
    """Validate an already-loaded mapping; raise :class:`ParamsError` naming every bad key."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{source}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        lines = [_describe(err, source) for err in exc.errors(include_url=False)]
        raise ParamsError("\n".join(lines)) from None
    from co2mix.models import options_for  # the registry knows each model's options

    for model in params.train.models:
        options_for(model, params.train.options_block(model), f"train.{model}")
    return params


def require_columns(key: str, columns: list[str], available: list[str], source: str) -> None:
    """Refuse a params list that names columns the data does not have."""
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ParamsError(
            f"params.yaml: {key} names unknown column(s) {unknown}; "
            f"columns in {source}: {list(available)}"
        )


def validate_columns(
    columns: list[str], params: Params, source: str, *, check_features: bool = True
) -> None:
    """Refuse params that name columns a data file does not have."""
    data = params.data
    require_columns("data.id_column", [data.id_column], columns, source)
    require_columns("data.time_column", [data.time_column], columns, source)
    require_columns("data.targets", data.targets, columns, source)
    require_columns("data.categorical", data.categorical, columns, source)
    if check_features:
        require_columns("check.features", params.check.features, columns, source)
    require_columns("detect.columns", params.detect.columns, columns, source)


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate the params file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: params file not found") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    return parse_params(raw, str(path))
