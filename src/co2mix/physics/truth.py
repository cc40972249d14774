"""The plant's noise-free physics: a public API.

These functions are the ground truth of the simulator. ``generate`` adds noise and
faults on top of them; the optimizer calls them to check a proposed mix against the
plant itself. All functions are vectorized over numpy arrays or pandas Series.

Units: masses in kg per m3 of concrete, temperatures in degrees C, energy in kWh,
distance in km, CO2 in kg CO2e per m3, strength in MPa.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from co2mix.physics.coefficients import EmissionFactors, Process, StrengthModel

# Particle densities, kg/m3 (absolute-volume method).
DENSITY_KG_M3: dict[str, float] = {
    "cement": 3150.0,
    "slag": 2900.0,
    "fly_ash": 2300.0,
    "water": 1000.0,
    "superplasticizer": 1100.0,
    "coarse_agg": 2700.0,
    "fine_agg": 2650.0,
}
AIR_FRACTION = 0.02  # entrapped air, m3 per m3
MIX_COLUMNS = tuple(DENSITY_KG_M3)  # the seven masses, fine aggregate last
FINE_AGG: Final = "fine_agg"  # not dosed: it fills what the others leave of the cubic metre
DESIGNED_COLUMNS = MIX_COLUMNS[:-1]  # what a recipe doses; fine aggregate fills the rest
CO2: Final = "co2_kg_m3"  # what the physics computes: the plant's two targets
STRENGTH: Final = "strength_mpa"
TARGETS = (CO2, STRENGTH)
T_REF_C = 20.0  # reference curing temperature of the 28-day strength
SPECIFIC_HEAT_KJ_KG_K = 0.95  # fresh concrete, for heating energy

Frame = Mapping[str, Any]  # a DataFrame or a dict of equal-length arrays


def _col(frame: Frame, name: str) -> np.ndarray:
    return np.asarray(frame[name], dtype=float)


def fine_agg_kg(frame: Frame) -> np.ndarray:
    """Fine aggregate that fills 1 m3: sum(m_i / rho_i) + air = 1. Negative means infeasible."""
    volume = np.asarray(sum(_col(frame, c) / DENSITY_KG_M3[c] for c in DESIGNED_COLUMNS))
    return (1.0 - AIR_FRACTION - volume) * DENSITY_KG_M3[FINE_AGG]


def volume_m3(frame: Frame) -> np.ndarray:
    """Absolute volume of all components plus air; 1.0 for a valid mix."""
    return np.asarray(sum(_col(frame, c) / DENSITY_KG_M3[c] for c in MIX_COLUMNS) + AIR_FRACTION)


def mass_t(frame: Frame) -> np.ndarray:
    """Mass of 1 m3 of fresh concrete, tonnes."""
    return np.asarray(sum(_col(frame, c) for c in MIX_COLUMNS) / 1000.0)


def binder_kg(frame: Frame) -> np.ndarray:
    return _col(frame, "cement") + _col(frame, "slag") + _col(frame, "fly_ash")


def scm_share(frame: Frame) -> np.ndarray:
    """Share of supplementary cementitious materials (slag + fly ash) in the binder."""
    binder = binder_kg(frame)
    scm = _col(frame, "slag") + _col(frame, "fly_ash")
    return np.divide(scm, binder, out=np.zeros_like(binder), where=binder > 0)


def effective_binder_kg(frame: Frame, strength: StrengthModel) -> np.ndarray:
    """Cement plus SCMs weighted by their efficiency (k-value concept of EN 206)."""
    return (
        _col(frame, "cement")
        + strength.k_slag * _col(frame, "slag")
        + strength.k_fly_ash * _col(frame, "fly_ash")
    )


def water_binder_eff(frame: Frame, strength: StrengthModel) -> np.ndarray:
    binder = effective_binder_kg(frame, strength)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(binder > 0, _col(frame, "water") / binder, np.inf)


def mixing_energy_kwh(frame: Frame) -> np.ndarray:
    """Drum energy: grows with mass, mixing time and speed, and with stiff low-water mixes."""
    wb = _col(frame, "water") / np.maximum(binder_kg(frame), 1e-9)
    stiffness = np.sqrt(0.45 / np.maximum(wb, 0.2))
    minutes = _col(frame, "mixing_time_s") / 60.0
    return 0.85 * mass_t(frame) * minutes * (_col(frame, "drum_rpm") / 12.0) * stiffness


def heating_delta_k(ambient_temp_c: Any, process: Process) -> np.ndarray:
    """How much the plant warms water and aggregates in cold weather, kelvin."""
    return np.maximum(process.heating_below_c - np.asarray(ambient_temp_c, dtype=float), 0.0)


def heating_energy_kwh(frame: Frame, process: Process) -> np.ndarray:
    """Heater energy: its standby draw plus the heat that warms the mix in cold weather."""
    delta = heating_delta_k(frame["ambient_temp_c"], process)
    kwh = mass_t(frame) * 1000.0 * SPECIFIC_HEAT_KJ_KG_K * delta / 3600.0
    return process.heating_standby_kwh + kwh / process.heating_efficiency


def curing_temp_c(ambient_temp_c: Any, process: Process) -> np.ndarray:
    """Mean temperature of field-cured specimens: partly protected, plus the heat put in."""
    ambient = np.asarray(ambient_temp_c, dtype=float)
    return ambient + 0.4 * (T_REF_C - ambient) + 0.5 * heating_delta_k(ambient, process)


def co2_kg_m3(frame: Frame, factors: EmissionFactors, process: Process) -> np.ndarray:
    """Cradle-to-site CO2: materials + electricity (mixing, heating, plant) + delivery."""
    materials = sum(getattr(factors, c) * _col(frame, c) for c in MIX_COLUMNS)
    energy = (
        _col(frame, "mixing_energy_kwh")
        + _col(frame, "heating_energy_kwh")
        + process.plant_base_kwh
    )
    transport = factors.truck_t_km * _col(frame, "transport_km") * mass_t(frame)
    return materials + factors.grid_kwh * energy + transport


def equivalent_age_days(frame: Frame, strength: StrengthModel) -> np.ndarray:
    """Nurse-Saul maturity: age at 20 C that gives the same hydration."""
    above_datum = np.maximum(_col(frame, "curing_temp_c") - strength.maturity_datum_c, 0.0)
    return _col(frame, "age_days") * above_datum / (T_REF_C - strength.maturity_datum_c)


def strength_mpa(frame: Frame, strength: StrengthModel) -> np.ndarray:
    """Compressive strength: Abrams' law at 28 days, Eurocode 2 age development.

    ``frame`` needs the binder masses, water, ``age_days``, ``curing_temp_c`` and
    ``strength_factor`` (the cement supplier's factor; 1.0 for a nominal cement).
    """
    f28 = strength.abrams_a_mpa / strength.abrams_b ** water_binder_eff(frame, strength)
    slow = np.clip(scm_share(frame) / strength.scm_share_slow, 0.0, 1.0)
    s = strength.s_cem_i + (strength.s_high_scm - strength.s_cem_i) * slow
    t_eq = np.maximum(equivalent_age_days(frame, strength), 0.05)
    beta = np.exp(s * (1.0 - np.sqrt(28.0 / t_eq)))
    return f28 * beta * _col(frame, "strength_factor")


def mix_columns(
    mix: Frame,
    context: Mapping[str, float],
    factors: EmissionFactors,
    strength: StrengthModel,
    process: Process,
    targets: bool = True,
) -> dict[str, np.ndarray]:
    """True CO2 and strength of mixes under a fixed production context, as arrays.

    ``mix`` holds the designed masses (cement, slag, fly_ash, water, superplasticizer,
    coarse_agg); fine aggregate comes from the volume balance. ``context`` holds
    ``ambient_temp_c``, ``transport_km``, ``age_days``, ``mixing_time_s``, ``drum_rpm``
    and ``strength_factor``. Returns one array per column: the masses, the derived process
    values, ``co2_kg_m3``, ``strength_mpa`` and ``volume_ok`` (fine aggregate >= 0);
    without ``targets``, all but the two targets. Arrays, not a frame: the optimizer calls
    this for every population it scores, and a surrogate scoring them needs no truth.
    """
    cols = {c: np.asarray(mix[c], dtype=float) for c in DESIGNED_COLUMNS}
    n = len(cols[DESIGNED_COLUMNS[0]])
    for key in ("ambient_temp_c", "transport_km", "age_days", "mixing_time_s", "drum_rpm"):
        cols[key] = np.full(n, float(context[key]))
    cols["strength_factor"] = np.full(n, float(context.get("strength_factor", 1.0)))
    cols[FINE_AGG] = fine_agg_kg(cols)
    cols["curing_temp_c"] = curing_temp_c(cols["ambient_temp_c"], process)
    cols["mixing_energy_kwh"] = mixing_energy_kwh(cols)
    cols["heating_energy_kwh"] = heating_energy_kwh(cols, process)
    if targets:
        add_targets(cols, factors, strength, process)
    cols["volume_ok"] = cols[FINE_AGG] >= 0.0
    return cols


def add_targets(
    cols: dict[str, np.ndarray],
    factors: EmissionFactors,
    strength: StrengthModel,
    process: Process,
) -> None:
    """Add the true ``co2_kg_m3`` and ``strength_mpa`` to the columns of
    :func:`mix_columns` (the masses and derived process values it computes first)."""
    cols[CO2] = co2_kg_m3(cols, factors, process)
    cols[STRENGTH] = strength_mpa(cols, strength)


def evaluate_mix(
    mix: Frame,
    context: Mapping[str, float],
    factors: EmissionFactors,
    strength: StrengthModel,
    process: Process,
) -> pd.DataFrame:
    """:func:`mix_columns` as a frame, one row per mix."""
    return pd.DataFrame(mix_columns(mix, context, factors, strength, process))


REFERENCE_MIX: dict[str, float] = {
    # A structural CEM I mix: 400 kg/m3 cement at w/c 0.45, the calibration anchor
    # (about 410 kg CO2e/m3) and the baseline the optimizer's savings are measured against.
    "cement": 400.0,
    "slag": 0.0,
    "fly_ash": 0.0,
    "water": 180.0,
    "superplasticizer": 2.0,
    "coarse_agg": 1000.0,
}
MILD_CONTEXT: dict[str, float] = {
    "ambient_temp_c": 20.0,
    "transport_km": 20.0,
    "age_days": 28.0,
    "mixing_time_s": 90.0,
    "drum_rpm": 12.0,
    "strength_factor": 1.0,
}
