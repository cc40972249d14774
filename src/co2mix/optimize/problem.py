"""The constrained mix-design problem: decision variables, derived features, constraints.

A candidate is a row of the six designed masses (kg/m3). Fine aggregate follows from the
1 m3 volume balance, and the process features the models need (curing temperature,
mixing and heating energy) follow from the plant's process physics under the fixed
context. Everything is vectorized and stays in numpy arrays: one call scores a whole
population, with no frame built on the way (the surrogates are compiled to array
functions, :mod:`co2mix.optimize.compiled`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.optimize.compiled import Columns
from co2mix.optimize.specification import exposure_limits, material_cost
from co2mix.optimize.support import DataSupport
from co2mix.physics import truth
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, FINE_AGG, MIX_COLUMNS, STRENGTH, TARGETS
from co2mix.plant_params.root import PlantParams

# Predicts (CO2 kg/m3, strength MPa) for candidates with every model feature.
Predictor = Callable[[Columns], tuple[np.ndarray, np.ndarray]]


def candidate_columns(
    x: np.ndarray, params: PlantParams, targets: bool = True
) -> dict[str, np.ndarray]:
    """Candidates (n x 6 masses) with every feature the models and truth need, as arrays:
    the physics' :func:`~co2mix.physics.truth.mix_columns` under the fixed context (their
    true CO2 and strength too unless not ``targets``), plus the cement supplier the
    strength models take as a category."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    context = params.optimize.context
    gen = params.generate
    columns = truth.mix_columns(
        {v: x[:, i] for i, v in enumerate(DESIGNED_COLUMNS)},
        context.model_dump(exclude={"cement_supplier"})
        | {"strength_factor": gen.suppliers[context.cement_supplier].strength_factor},
        gen.emission_factors,
        gen.strength,
        gen.process,
        targets,
    )
    columns["cement_supplier"] = np.full(len(x), context.cement_supplier, dtype=object)
    return columns


class Candidates(dict[str, np.ndarray]):
    """:func:`candidate_columns` whose true CO2 and strength are computed when first read.

    A surrogate's optimizer run scores thousands of single mixes and never reads the
    truth (a sixth of each call); the plant's own predictor (:func:`true_values`) and any
    predictor built on it read it as before."""

    def __init__(self, x: np.ndarray, params: PlantParams):
        super().__init__(candidate_columns(x, params, targets=False))
        self.params = params

    def __missing__(self, key: str) -> np.ndarray:
        if key not in TARGETS:
            raise KeyError(key)
        gen = self.params.generate
        truth.add_targets(self, gen.emission_factors, gen.strength, gen.process)
        return self[key]


def starting_mixes(train: pd.DataFrame, params: PlantParams) -> np.ndarray:
    """Training mixes inside ``optimize.bounds``: where population-based searches begin."""
    mixes = train[list(DESIGNED_COLUMNS)].dropna().to_numpy(dtype=float)
    bounds = params.optimize.bounds
    low, high = np.array([bounds[v] for v in DESIGNED_COLUMNS], dtype=float).T
    inside: np.ndarray = mixes[((mixes >= low) & (mixes <= high)).all(axis=1)]
    return inside


def mix_frame(x: np.ndarray, params: PlantParams) -> pd.DataFrame:
    """:func:`candidate_columns` as a frame: for truth checks and reports, not the hot path."""
    return pd.DataFrame(candidate_columns(x, params))


def plant_support(train: pd.DataFrame, params: PlantParams) -> DataSupport:
    """The support of the plant's training mixes: designed masses plus fine aggregate."""
    return DataSupport.from_rows(train, MIX_COLUMNS, params.optimize.support)


@dataclass(frozen=True)
class Problem:
    """Minimise CO2 subject to strength, mix limits and (optionally) data support."""

    params: PlantParams
    strength_required_mpa: float
    support: DataSupport | None
    cost_weight: float = 0.0  # kg CO2e per unit of cost in the objective (the CO2-cost front)

    @property
    def bounds(self) -> list[tuple[float, float]]:
        bounds = self.params.optimize.bounds
        return [(bounds[v][0], bounds[v][1]) for v in DESIGNED_COLUMNS]

    def limit_violation(self, columns: Columns) -> np.ndarray:
        """Mix-design limits and the exposure class's (``optimize.exposure_class``), each
        scaled so that 1 is a large breach."""
        limits = self.params.optimize.limits
        binder = truth.binder_kg(columns)
        safe = np.maximum(binder, 1e-9)
        wb = np.asarray(columns["water"], dtype=float) / safe
        low, high = limits.water_binder
        fly_share = np.asarray(columns["fly_ash"], dtype=float) / safe
        fine_agg = np.asarray(columns[FINE_AGG], dtype=float)
        exposure = exposure_limits(self.params)
        if exposure is not None:  # the class tightens the limits: one more on binder
            high = min(high, exposure.max_water_binder)
        violation = (
            10.0 * (np.maximum(low - wb, 0.0) + np.maximum(wb - high, 0.0))
            + 10.0 * np.maximum(truth.scm_share(columns) - limits.scm_share_max, 0.0)
            + 10.0 * np.maximum(fly_share - limits.fly_ash_share_max, 0.0)
            + np.maximum(limits.fine_agg_min_kg - fine_agg, 0.0) / 100.0
        )
        if exposure is not None:
            violation = violation + np.maximum(exposure.min_binder_kg - binder, 0.0) / 100.0
        return violation

    def score(self, x: np.ndarray, predict: Predictor) -> tuple[np.ndarray, np.ndarray]:
        """(objective, total constraint violation) of candidates; feasible when 0. The
        objective is CO2, plus ``cost_weight`` x the material cost when weighted."""
        columns = Candidates(x, self.params)
        co2, strength = predict(columns)
        violation = (
            self.limit_violation(columns)
            + np.maximum(self.strength_required_mpa - strength, 0.0) / 5.0
        )
        if self.support is not None:
            violation = violation + self.support.violation(columns)
        objective = np.asarray(co2, dtype=float)
        prices = self.params.optimize.prices_per_kg
        if self.cost_weight and prices:
            objective = objective + self.cost_weight * material_cost(columns, prices)
        return objective, violation


def true_values(columns: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The plant itself as a predictor: the noise-free CO2 and strength of the candidates."""
    return np.asarray(columns[CO2], dtype=float), np.asarray(columns[STRENGTH], dtype=float)
