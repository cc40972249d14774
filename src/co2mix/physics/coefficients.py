"""The coefficients of the plant's physics, as params.yaml sets them (``generate.*``).

They live beside the equations that use them, so the physics needs nothing above it;
the params tree (``co2mix.core.params``) composes them into its ``generate`` section.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Coefficients(BaseModel):
    """Read from params.yaml: no unknown keys, no silent type coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class EmissionFactors(Coefficients):
    """kg CO2e per kg of each material (ICE v2), per kWh of electricity, per t km by truck."""

    cement: NonNegative
    slag: NonNegative
    fly_ash: NonNegative
    water: NonNegative
    superplasticizer: NonNegative
    coarse_agg: NonNegative
    fine_agg: NonNegative
    grid_kwh: NonNegative
    truck_t_km: NonNegative


class StrengthModel(Coefficients):
    """Abrams' law, the k-value concept, Eurocode 2 age development, Nurse-Saul maturity."""

    abrams_a_mpa: Positive
    abrams_b: Annotated[float, Field(gt=1.0)]
    k_slag: Annotated[float, Field(ge=0.0, le=1.5)]
    k_fly_ash: Annotated[float, Field(ge=0.0, le=1.5)]
    s_cem_i: Positive
    s_high_scm: Positive
    scm_share_slow: Annotated[float, Field(gt=0.0, le=1.0)]
    maturity_datum_c: Annotated[float, Field(lt=20.0)]


class Process(Coefficients):
    """The plant's process: delivery distances, heating in cold weather, base electricity."""

    transport_km_median: Annotated[float, Field(gt=2.0, lt=90.0)]
    heating_below_c: float
    heating_efficiency: Annotated[float, Field(gt=0.0, le=1.0)]
    heating_standby_kwh: NonNegative
    plant_base_kwh: NonNegative
