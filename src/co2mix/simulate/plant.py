"""One production batch of the simulated plant: clean rows with their measured targets.

Each source of randomness draws from its own stream, keyed by the seed, the batch
and the component, so a scenario that changes one driver (the weather, the recipe
mix, the cement) leaves every other column of the batch exactly as it was. That is
what lets ``truth.json`` say which columns a scenario really moved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.core.errors import ParamsError
from co2mix.core.params import Data
from co2mix.physics import truth
from co2mix.plant_params.sections import Generate
from co2mix.simulate import weather
from co2mix.simulate.recipes import recipe_table, recipe_weights, sample_mixes

AGES_DAYS = np.array([1, 3, 7, 28, 56, 90])
AGE_SHARES = np.array([0.05, 0.08, 0.10, 0.60, 0.10, 0.07])
SENSOR_COLUMNS = (  # what the plant's instruments read: where sensor faults can strike
    "ambient_temp_c",
    "humidity_pct",
    "curing_temp_c",
    "mixing_time_s",
    "drum_rpm",
    "mixing_energy_kwh",
    "heating_energy_kwh",
)
COLUMNS = (  # after the id and time columns, which params name (data.id_column, .time_column)
    "recipe",
    "cement_supplier",
    *truth.MIX_COLUMNS,
    "age_days",
    *SENSOR_COLUMNS,
    "transport_km",
    "dosing_events",
    *truth.TARGETS,
)


def check_schema(data: Data) -> None:
    """Refuse a ``data`` section the plant cannot produce: sensors it does not have, or an
    id or time column that would overwrite one of its columns."""
    unknown = [c for c in data.sensor_columns if c not in SENSOR_COLUMNS]
    if unknown:
        raise ParamsError(
            f"params.yaml: data.sensor_columns {unknown} are not sensors of the simulated "
            f"plant; its sensors: {list(SENSOR_COLUMNS)}"
        )
    for key in ("id_column", "time_column"):
        name = getattr(data, key)
        if name in COLUMNS:
            raise ParamsError(f"params.yaml: data.{key} = {name!r} is a column of the plant")


@dataclass(frozen=True)
class Drivers:
    """What a drift scenario changes in how the plant produces a batch."""

    ambient_offset_c: float = 0.0
    scm_tilt: float = 0.0
    main_supplier_weakening: float = 0.0  # fraction of strength lost by the main supplier
    new_supplier_share: float = 0.0  # share of the batch's cement from a supplier never seen


NEW_SUPPLIER = "D"  # the new_supplier scenario's supplier (a level no model has seen)
NEW_SUPPLIER_FACTOR = 0.94  # its strength factor: a weaker cement than the plant's usual


@dataclass(frozen=True)
class BatchSpec:
    rows: int
    start: dt.date
    end: dt.date
    first_id: int
    stream: int  # separates the random streams of the reference and current batches


def batch_rng(seed: int, stream: int, component: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, component])


def supplier_factors(params: Generate, weakening: float) -> dict[str, float]:
    """Strength factor per supplier; the largest supplier loses ``weakening`` of it."""
    main = max(params.suppliers, key=lambda name: params.suppliers[name].share)
    factors = {name: s.strength_factor for name, s in params.suppliers.items()}
    factors[main] *= max(1.0 - weakening, 0.05)
    return factors


def switch_to_new_supplier(
    rng: np.random.Generator, codes: np.ndarray, names: list[str], drivers: Drivers
) -> tuple[list[str], np.ndarray]:
    """From a third of the way through the batch (rows are in production order),
    deliveries come from :data:`NEW_SUPPLIER` too, until it supplied
    ``new_supplier_share`` of all rows: early enough that the refresh's adaptation rows
    (the earlier part of the fresh rows) hold some of them."""
    if NEW_SUPPLIER in names:
        raise ValueError(f"generate.suppliers already has a supplier {NEW_SUPPLIER!r}")
    later = np.arange(len(codes) // 3, len(codes))
    count = min(round(drivers.new_supplier_share * len(codes)), len(later))
    switched = rng.choice(later, size=count, replace=False)
    codes = codes.copy()
    codes[switched] = len(names)
    return [*names, NEW_SUPPLIER], codes


def simulate_batch(params: Generate, data: Data, spec: BatchSpec, drivers: Drivers) -> pd.DataFrame:
    """Clean rows (no sensor faults) for one batch, in production order."""
    n = spec.rows

    def rng(component: int) -> np.random.Generator:
        return batch_rng(params.seed, spec.stream, component)

    times = weather.production_times(rng(0), n, spec.start, spec.end)
    ambient = weather.ambient_temp_c(rng(1), times, drivers.ambient_offset_c)
    weights = recipe_weights(recipe_table(), drivers.scm_tilt)
    frame = sample_mixes(rng(2), n, weights, params.noise.dosing_cv)

    names = list(params.suppliers)
    shares = np.array([params.suppliers[s].share for s in names])
    supplier_code = rng(3).choice(len(names), size=n, p=shares)
    if drivers.new_supplier_share > 0:
        names, supplier_code = switch_to_new_supplier(rng(8), supplier_code, names, drivers)
    frame.insert(1, "cement_supplier", pd.Categorical.from_codes(supplier_code, categories=names))
    factors = supplier_factors(params, drivers.main_supplier_weakening)
    factors.setdefault(NEW_SUPPLIER, NEW_SUPPLIER_FACTOR)
    frame["strength_factor"] = np.array([factors[s] for s in names])[supplier_code]

    frame["age_days"] = rng(4).choice(AGES_DAYS, size=n, p=AGE_SHARES)
    frame["ambient_temp_c"] = ambient
    frame["humidity_pct"] = weather.humidity_pct(rng(5), times)

    process = rng(6)
    frame["curing_temp_c"] = truth.curing_temp_c(ambient, params.process) + process.normal(
        0.0, 1.0, n
    )
    scm = truth.scm_share(frame)
    mixing_s = 60.0 + 60.0 * scm + 8.0 * frame["superplasticizer"] + process.normal(0.0, 8.0, n)
    # Sensors report continuous readings (no coarse rounding): two equal consecutive
    # readings of a working sensor are then practically impossible, a stuck one always.
    frame["mixing_time_s"] = np.clip(mixing_s, 40.0, 240.0)
    frame["drum_rpm"] = process.normal(12.0, 0.8, n)
    frame["mixing_energy_kwh"] = truth.mixing_energy_kwh(frame) * (1.0 + process.normal(0, 0.03, n))
    frame["heating_energy_kwh"] = truth.heating_energy_kwh(frame, params.process) * (
        1.0 + process.normal(0.0, 0.05, n)
    )
    km = process.lognormal(np.log(params.process.transport_km_median), 0.6, n)
    frame["transport_km"] = np.round(np.clip(km, 2.0, 90.0), 1)
    has = (frame[["slag", "fly_ash", "superplasticizer"]] > 0).sum(axis=1).to_numpy()
    frame["dosing_events"] = 3 + has + process.poisson(0.3, n)

    noise = rng(7)
    co2 = truth.co2_kg_m3(frame, params.emission_factors, params.process)
    frame[truth.CO2] = co2 + noise.normal(0.0, params.noise.co2_sigma, n)
    strength = truth.strength_mpa(frame, params.strength)
    frame[truth.STRENGTH] = np.maximum(
        strength + noise.normal(0.0, params.noise.strength_sigma, n), 0.0
    )

    frame[data.id_column] = np.arange(spec.first_id, spec.first_id + n, dtype=np.int64)
    frame[data.time_column] = times
    return frame[[data.id_column, data.time_column, *COLUMNS]].reset_index(drop=True)
