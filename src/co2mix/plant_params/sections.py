"""The simulated plant's own params sections: its generator (``generate``), the mix
optimizer checked against its physics (``optimize``) and the forecast of its series
(``forecast``). :class:`co2mix.plant_params.root.PlantParams` puts them beside the
sections every dataset has.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from co2mix.core.params_base import (
    ExposureLimit,
    NonNegative,
    OptimizerName,
    Pair,
    Positive,
    Rate,
    Section,
    Seed,
    Support,
    ordered,
    unique,
)
from co2mix.physics.coefficients import EmissionFactors, Process, StrengthModel
from co2mix.physics.truth import DESIGNED_COLUMNS, MIX_COLUMNS

Scenario = Literal["none", "winter", "supplier", "recipes", "sensor_fault", "new_supplier"]


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
    # simulate: the simulator makes the current batch; feed: the live feed's export is
    # the current batch (co2mix feed export), with scenario and magnitude saying what the
    # producer ran (its truth record: the simulator knows what that moved)
    source: Literal["simulate", "feed"] = "simulate"
    feed_file: str = "data/feed/current.parquet"  # the export generate reads (source: feed)


class Faults(Section):
    """Fault rates; faults go into the sensor columns ``data.sensor_columns`` names."""

    null_rate: Rate
    spike_rate: Rate
    duplicate_rate: Rate
    tampered_start_rate: Rate
    tampered_hours: Annotated[list[Positive], Field(min_length=2, max_length=2)]

    _ordered = field_validator("tampered_hours")(ordered)


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


# ------------------------------------------------------------------ optimize


class MixLimits(Section):
    """Engineering limits of a mix; a contradiction (an inverted pair) is refused when the
    params load, not found after a whole optimize run."""

    water_binder: Pair
    scm_share_max: Rate
    fly_ash_share_max: Rate
    fine_agg_min_kg: NonNegative

    _ordered = field_validator("water_binder")(ordered)


class OptimizeContext(Section):
    """The production context held fixed while the mix varies."""

    ambient_temp_c: Annotated[float, Field(ge=-30.0, le=50.0)]
    transport_km: NonNegative
    age_days: Annotated[float, Field(gt=0.0)]
    mixing_time_s: Positive
    drum_rpm: Positive
    cement_supplier: str


class StrengthBasis(Section):
    """How ``optimize.strength_target_mpa`` is read: ``mean``, the mix's expected strength
    must reach it; ``characteristic`` (EN 206, ACI 318), at most ``fractile`` of the
    batches poured from the mix may fall below it, so the mix is designed for the mean
    target + z(1 - fractile) x sd, the sd the plant's own (the published strength
    champion's RMSE on the latest fresh rows), never below ``sd_floor_mpa``."""

    basis: Literal["mean", "characteristic"]
    fractile: Annotated[float, Field(gt=0.0, lt=0.5)]
    sd_floor_mpa: NonNegative  # the least sd the margin is computed with


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
    strength: StrengthBasis
    exposure_class: str | None  # a key of exposure_classes: its limits apply
    exposure_classes: dict[str, ExposureLimit]
    prices_per_kg: dict[str, NonNegative]  # material -> price per kg: cost_per_m3 reported

    _unique_names = field_validator("surrogates", "optimizers")(unique)

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
        inverted = [f"{v} {pair}" for v, pair in bounds.items() if pair[0] > pair[1]]
        if inverted:
            raise ValueError(f"lower bound above upper bound: {', '.join(inverted)}")
        return bounds

    @model_validator(mode="after")
    def _known_exposure_and_prices(self) -> Optimize:
        if self.exposure_class is not None and self.exposure_class not in self.exposure_classes:
            raise ValueError(
                f"exposure_class {self.exposure_class!r} is not one of exposure_classes "
                f"{sorted(self.exposure_classes)}"
            )
        unknown = sorted(set(self.prices_per_kg) - set(MIX_COLUMNS))
        if unknown:
            raise ValueError(f"prices_per_kg: {unknown} are not mix materials {list(MIX_COLUMNS)}")
        return self

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


# ------------------------------------------------------------------ forecast

ForecastSeries = Literal["co2_t", "heating_energy_kwh", "batches"]
ForecastModel = Literal["seasonal_naive", "ets", "ridge", "xgboost", "mlp", "ensemble"]
ForecastFrequency = Literal["daily", "hourly"]
ALL_FREQUENCIES: tuple[ForecastFrequency, ...] = ("daily", "hourly")


class Forecast(Section):
    """The forecast stage: the plant's daily series, backtested from rolling origins."""

    series: Annotated[list[ForecastSeries], Field(min_length=1)]
    horizon_days: Annotated[int, Field(ge=1, le=28)]
    origins: Annotated[int, Field(ge=8)]  # weekly origins scored, the last ending the log
    calibration_origins: Annotated[int, Field(ge=4)]  # earlier ones: residuals, champions
    refit_every: Annotated[int, Field(ge=1)]  # origins between refits of the fitted models
    models: Annotated[list[ForecastModel], Field(min_length=2)]
    served: ForecastModel  # the model whose forecast the plant is given (one of models)
    levels: Annotated[list[Annotated[float, Field(gt=0.0, lt=1.0)]], Field(min_length=1)]
    # adaptive conformal's step: how far an origin's excess misses move the next
    # origin's level (co2mix.modeling.adaptive_conformal); 0: split conformal
    interval_adapt: Annotated[float, Field(ge=0.0, le=1.0)] = 0.2
    # the weather forecast's error, deg C: base + per_day x lead (days)
    weather_error_c: Annotated[list[NonNegative], Field(min_length=2, max_length=2)]
    # daily always; hourly adds the hour-by-hour forecast of the next horizon_hours
    frequencies: Annotated[list[ForecastFrequency], Field(min_length=1)] = Field(
        default_factory=lambda: list(ALL_FREQUENCIES)
    )
    horizon_hours: Annotated[int, Field(ge=1, le=168)] = 48  # hourly: hours after 00:00
    hourly_origins: Annotated[int, Field(ge=7)] = 14  # hourly: daily origins scored
    hourly_calibration_origins: Annotated[int, Field(ge=7)] = 14  # hourly: earlier ones
    n_jobs: Annotated[int, Field(ge=1)] = 2  # processes, one series each; same results

    _unique = field_validator("series", "models", "levels", "frequencies")(unique)

    @field_validator("frequencies")
    @classmethod
    def _daily(cls, frequencies: list[str]) -> list[str]:
        if "daily" not in frequencies:
            raise ValueError("must include daily: the served forecast, the page and the report")
        return frequencies

    @field_validator("models")
    @classmethod
    def _baseline(cls, models: list[str]) -> list[str]:
        if "seasonal_naive" not in models:
            raise ValueError("must include seasonal_naive: every MASE is scaled by it")
        if "ensemble" in models and len(models) < 4:
            raise ValueError("ensemble needs at least two other models besides seasonal_naive")
        return models

    @model_validator(mode="after")
    def _served_is_listed(self) -> Forecast:
        if self.served not in self.models:
            raise ValueError(f"served {self.served!r} must be one of models {self.models}")
        if "hourly" in self.frequencies and self.served == "mlp":
            raise ValueError("served 'mlp' has no hourly forecast (see co2mix.modeling.hourly)")
        return self
