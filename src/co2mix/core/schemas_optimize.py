"""The optimize stage's records: metrics/optimize.json and data/optimize/runs.json
(validated by :mod:`co2mix.core.records` like every record of :mod:`co2mix.core.schemas`)."""

from __future__ import annotations

from typing import NotRequired

# pydantic validates TypedDicts only from typing_extensions on Python < 3.12
from typing_extensions import TypedDict

# ------------------------------------------------------------------ optimize


class Optimum(TypedDict):
    feasible: bool
    co2_kg_m3: NotRequired[float | None]
    strength_mpa: NotRequired[float | None]
    reduction_pct: NotRequired[float | None]
    mix: NotRequired[dict[str, float | None]]


class TruthCheck(TypedDict):
    """A proposed mix checked against the plant's physics."""

    feasible: bool
    predicted_co2_kg_m3: NotRequired[float | None]
    predicted_strength_mpa: NotRequired[float | None]
    true_co2_kg_m3: NotRequired[float | None]
    true_strength_mpa: NotRequired[float | None]
    truly_feasible: NotRequired[bool]
    reduction_pct: NotRequired[float | None]
    gap_to_optimum_pct: NotRequired[float | None]
    # share of the mix's batches the plant would produce below the specified target
    # (dosing scatter and the test's noise), and the mix's cost (optimize.prices_per_kg)
    true_fraction_below_target: NotRequired[float | None]
    cost_per_m3: NotRequired[float | None]
    mix: NotRequired[dict[str, float | None]]


class Answer(TruthCheck):
    optimizer: str
    seed: int


class RunSummary(TypedDict):
    runs: int
    feasible_runs: int
    truly_feasible_runs: int
    evaluations: int
    predicted_co2_kg_m3: NotRequired[float | None]
    true_co2_kg_m3: NotRequired[float | None]
    predicted_strength_mpa: NotRequired[float | None]
    true_strength_mpa: NotRequired[float | None]
    true_strength_min_mpa: NotRequired[float | None]
    reduction_pct: NotRequired[float | None]
    gap_to_optimum_pct: NotRequired[float | None]
    gap_to_optimum_max_pct: NotRequired[float | None]
    true_fraction_below_target: NotRequired[float | None]
    true_fraction_below_max: NotRequired[float | None]  # the worst seed's
    cost_per_m3: NotRequired[float | None]


class ReferenceMix(TypedDict):
    co2_kg_m3: float | None
    strength_mpa: float | None


class PlantNow(TypedDict):
    """The plant the optimizer designs for and checks against: the current batch's."""

    scenario: str
    ambient_temp_c: float
    cement_supplier: str
    strength_factor: float


class Specified(TypedDict):
    """How the strength target was read (optimize.strength, optimize.exposure_class)."""

    basis: str  # mean | characteristic
    fractile: float | None
    sd_mpa: float  # the production sd the margin was computed with
    sd_source: str
    margin_mpa: float
    required_mean_mpa: float  # what the mix is designed to reach on average
    exposure_class: str | None
    exposure_limits: dict[str, float] | None


class OptimizeMetrics(TypedDict):
    feasible: bool
    strength_target_mpa: float
    surrogate: str
    specification: NotRequired[Specified]
    plant: NotRequired[PlantNow]
    reference_mix: ReferenceMix
    true_optimum: NotRequired[Optimum]
    true_optimum_without_support: NotRequired[Optimum]
    optimizers: NotRequired[dict[str, RunSummary]]
    surrogates: NotRequired[dict[str, dict[str, RunSummary]]]  # surrogate -> variant
    answer: NotRequired[Answer]
    reason: NotRequired[str]  # why no answer (feasible: false)


class RunRecord(TruthCheck):
    """One optimizer run in ``data/optimize/runs.json``."""

    benchmark: str
    surrogate: str
    variant: str
    optimizer: str
    seed: int
    evaluations: int
    model_calls: int


# ------------------------------------------------------------------ design (every dataset's)


class RealMix(TypedDict):
    """A row of the data: its name (group or id), measured targets and variables."""

    name: str
    measured: dict[str, float]
    mix: dict[str, float]


class DesignAnswer(TypedDict):
    mix: dict[str, float]
    context: dict[str, float | str]
    predicted: dict[str, float]  # every model's mean
    predicted_std: dict[str, float]  # models with a predictive std
    held: dict[str, float]  # each constraint as held: mean - margin_std x std
    feasible: bool
    seeds: list[int]  # the seeds that found this answer
    nearest_real_mix: NotRequired[RealMix]
    nearest_distance_sd: NotRequired[float]  # standardized distance to it
    support_radius_sd: NotRequired[float]  # the support's radius on the same scale
    cost_per_m3: NotRequired[float | None]  # materials at the space's prices, when it has any
    truth: NotRequired[TruthCheck]  # the plant's physics on the mix (a CSV has no truth)


class DesignMetrics(TypedDict):
    """metrics/design.json: a dataset's mix design (the plant's or a CSV's), or why
    there is none."""

    skipped: NotRequired[str]  # no design space declared
    objective: NotRequired[str]
    constraints: NotRequired[dict[str, float]]
    models: NotRequired[dict[str, str]]
    margin_std: NotRequired[float]
    specification: NotRequired[Specified]  # how the floor was specified (the plant's)
    bounds: NotRequired[dict[str, list[float]]]
    seeds_feasible: NotRequired[str]
    best_real_mix: NotRequired[RealMix | None]  # lowest objective meeting the floors, measured
    answer: NotRequired[DesignAnswer | None]
    reason: NotRequired[str]  # why there is no answer
    improvement_pct: NotRequired[float]  # predicted objective below the best real mix's
