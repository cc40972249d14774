"""What every params section is built from: strict immutable models and shared value types."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Seed = Annotated[int, Field(ge=0)]
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
# the solvers of co2mix.optimize.solvers, for any design space
OptimizerName = Literal["differential_evolution", "dual_annealing", "direct", "random_search"]


class Section(BaseModel):
    """No unknown keys, no silent type coercion ("5" is not an int), immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Support(Section):
    """Where the surrogate may be trusted: inside the training mixes' quantile box and
    near a training mix (standardized distance below a quantile of their own NN distances)."""

    enabled: bool
    box_quantile: Annotated[float, Field(ge=0.0, lt=0.5)]
    neighbour_quantile: Annotated[float, Field(gt=0.0, le=1.0)]
    fit_rows: Annotated[int, Field(ge=0)]


class ExposureLimit(Section):
    """One exposure class's durability limits (EN 206 Annex F's recommended values), on
    any design space that says which of its quantities are water and binder."""

    max_water_binder: Positive  # water / binder (cement + slag + fly ash), by mass
    min_binder_kg: NonNegative  # binder content, kg/m3
    min_strength_mpa: NonNegative  # the least characteristic (cylinder) strength


def unique(values: list[str]) -> list[str]:
    """A field validator: no name listed twice."""
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"columns listed more than once: {repeated}")
    return values


def ordered(pair: list[float]) -> list[float]:
    """A field validator: a [lower, upper] pair, lower first."""
    if pair[0] > pair[1]:
        raise ValueError(f"lower bound {pair[0]:g} above upper bound {pair[1]:g}")
    return pair
