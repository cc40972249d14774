"""The typed params tree: every section of params.yaml as a strict, immutable model.

Read through :func:`co2mix.core.params_file.load_params`, the one place that opens the
file; a bad value fails there, before anything is written, naming the key, the value and
what is allowed (``generate.faults.null_rate = 1.5: Input should be less than or equal
to 1``). Rules that need another layer's knowledge (which models the registry has, which
sensors the plant has) are checked by that layer when its stage starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from co2mix.physics.coefficients import EmissionFactors, Process, StrengthModel
from co2mix.physics.truth import DESIGNED_COLUMNS

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Seed = Annotated[int, Field(ge=0)]
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
Scenario = Literal["none", "winter", "supplier", "recipes", "sensor_fault"]
OptimizerName = Literal["differential_evolution", "dual_annealing", "direct", "random_search"]


class Section(BaseModel):
    """No unknown keys, no silent type coercion ("5" is not an int), immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _unique(values: list[str]) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"columns listed more than once: {repeated}")
    return values


# ------------------------------------------------------------------ generate


class Period(Section):
    rows: Annotated[int, Field(ge=1)]
    start: Annotated[dt.date, Field(strict=False)]
    end: Annotated[dt.date, Field(strict=False)]

    @model_validator(mode="after")
    def _end_after_start(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Current(Period):
    scenario: Scenario
    magnitude: NonNegative


class Faults(Section):
    """Fault rates; faults go into the sensor columns ``data.sensor_columns`` names."""

    null_rate: Rate
    spike_rate: Rate
    duplicate_rate: Rate
    tampered_start_rate: Rate
    tampered_hours: Annotated[list[Positive], Field(min_length=2, max_length=2)]

    @field_validator("tampered_hours")
    @classmethod
    def _ordered(cls, hours: list[float]) -> list[float]:
        if hours[0] > hours[1]:
            raise ValueError(f"expected [shortest, longest], got {list(hours)}")
        return hours


class Noise(Section):
    co2_sigma: NonNegative
    strength_sigma: NonNegative
    dosing_cv: Annotated[float, Field(ge=0.0, le=0.2)]


class Supplier(Section):
    share: Rate
    strength_factor: Positive


class Generate(Section):
    seed: Seed
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


# ------------------------------------------------------------------ data, detect, check, prepare


class Data(Section):
    """The dataset's schema: which columns are ids, time, targets, categories and sensors."""

    id_column: str
    time_column: str
    targets: Annotated[list[str], Field(min_length=1)]
    categorical: list[str]
    sensor_columns: Annotated[list[str], Field(min_length=1)]

    _unique_columns = field_validator("targets", "categorical", "sensor_columns")(_unique)

    @model_validator(mode="after")
    def _disjoint(self) -> Data:
        special = {self.id_column, self.time_column}
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

    _unique_features = field_validator("features")(_unique)


class Prepare(Section):
    use: Literal["reference", "current", "both"]
    split: Literal["random", "time"]
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    seed: Seed
    knn_k: Annotated[int, Field(ge=1)]
    knn_fit_rows: Annotated[int, Field(ge=0)]


# ------------------------------------------------------------------ train, evaluate


class Train(Section):
    """Shared training settings; each model's own block sits beside them (``train.xgboost``)
    and is validated by the model registry (:mod:`co2mix.modeling.registry`) into its
    typed options."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    seed: Seed
    validation_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    models: Annotated[list[str], Field(min_length=1)]
    features: dict[str, Annotated[list[str], Field(min_length=1)]]

    _unique_models = field_validator("models")(_unique)

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


class Refresh(Section):
    """Retraining on fresh data: the policy, and how the refreshed models are measured."""

    retrain: Literal["never", "on_drift", "on_degradation", "always"]
    degradation_threshold: Annotated[float, Field(gt=0.0)]
    holdout_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    recent_share: Annotated[float, Field(gt=0.0, lt=1.0)]
    min_rows: Annotated[int, Field(ge=2)]
    interval_level: Annotated[float, Field(gt=0.0, lt=1.0)]


# ------------------------------------------------------------------ optimize


class MixLimits(Section):
    """Engineering limits of a mix. Inverted pairs are allowed here: optimize reports
    such a setup as infeasible (``feasible: false``) instead of refusing to start."""

    water_binder: Pair
    scm_share_max: Rate
    fly_ash_share_max: Rate
    fine_agg_min_kg: NonNegative


class OptimizeContext(Section):
    """The production context held fixed while the mix varies."""

    ambient_temp_c: Annotated[float, Field(ge=-30.0, le=50.0)]
    transport_km: NonNegative
    age_days: Annotated[float, Field(gt=0.0)]
    mixing_time_s: Positive
    drum_rpm: Positive
    cement_supplier: str


class Support(Section):
    """Where the surrogate may be trusted: inside the training mixes' quantile box and
    near a training mix (standardized distance below a quantile of their own NN distances)."""

    enabled: bool
    box_quantile: Annotated[float, Field(ge=0.0, lt=0.5)]
    neighbour_quantile: Annotated[float, Field(gt=0.0, le=1.0)]
    fit_rows: Annotated[int, Field(ge=0)]


class Optimize(Section):
    surrogate: str
    optimizer: OptimizerName
    surrogates: Annotated[list[str], Field(min_length=1)]
    optimizers: Annotated[list[OptimizerName], Field(min_length=1)]
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
    seeds: Annotated[list[Seed], Field(min_length=1)]
    truth_budget: Annotated[int, Field(ge=1000)]
    pareto_targets_mpa: Annotated[list[Positive], Field(min_length=1)]
    n_jobs: Annotated[int, Field(ge=1)]

    _unique_names = field_validator("surrogates", "optimizers")(_unique)

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must not repeat: {seeds}")
        return seeds

    @field_validator("bounds")
    @classmethod
    def _every_variable(cls, bounds: dict[str, list[float]]) -> dict[str, list[float]]:
        if list(bounds) != list(DESIGNED_COLUMNS):
            raise ValueError(f"expected bounds for exactly {list(DESIGNED_COLUMNS)}, in order")
        return bounds

    @model_validator(mode="after")
    def _answer_is_benchmarked(self) -> Optimize:
        if self.surrogate not in self.surrogates:
            raise ValueError(
                f"surrogate {self.surrogate!r} must be one of surrogates {self.surrogates}"
            )
        if self.optimizer not in self.optimizers:
            raise ValueError(
                f"optimizer {self.optimizer!r} must be one of optimizers {self.optimizers}: "
                "the answer is that optimizer's run"
            )
        return self


# ------------------------------------------------------------------ serve


class Serve(Section):
    """``co2mix serve``: what a request may ask, and how long advice may take."""

    max_rows: Annotated[int, Field(ge=1)]
    non_negative: list[str]  # columns a request may not make negative (masses, energies...)
    similar_keys: list[str]  # /v1/similar: exact match on these columns
    similar_numeric: Annotated[list[str], Field(min_length=1)]  # then nearest on these
    advise_seconds: Positive
    advise_seed: Annotated[int, Field(ge=0)]


# ------------------------------------------------------------------ the whole file


class Params(Section):
    generate: Generate
    data: Data
    detect: Detect
    check: Check
    prepare: Prepare
    train: Train
    evaluate: Evaluate
    refresh: Refresh
    optimize: Optimize
    serve: Serve

    @model_validator(mode="after")
    def _features_are_not_special(self) -> Params:
        data = self.data
        special = {data.id_column, data.time_column, *data.targets}
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
        return self
