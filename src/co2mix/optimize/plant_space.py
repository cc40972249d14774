"""The plant's design space: its six designed masses, its physics, its limits.

A candidate is a row of the six designed masses (kg/m3). Fine aggregate follows from the
1 m3 volume balance, and the process features the models need (curing temperature,
mixing and heating energy) follow from the plant's process physics under the fixed
context (:class:`PlantMix`). The mix limits (water/binder, shares, sand, an exposure
class's) are expressions over those columns, as a CSV dataset's ``design.limits`` are.
Everything is vectorized and stays in numpy arrays: one call scores a whole population,
with no frame built on the way (the surrogates are compiled to array functions,
:mod:`co2mix.optimize.compiled`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from co2mix.core.errors import ParamsError
from co2mix.core.params_base import ExposureLimit
from co2mix.optimize.compiled import Columns
from co2mix.optimize.design import Budget, highest_reachable
from co2mix.optimize.space import DesignSpace, Floor, Limit, Predict, Prediction
from co2mix.optimize.specification import exposure_limits
from co2mix.optimize.support import DataSupport
from co2mix.physics import truth
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, FINE_AGG, MIX_COLUMNS, STRENGTH, TARGETS
from co2mix.plant_params.root import PlantParams
from co2mix.plant_params.sections import Generate, MixLimits, OptimizeContext

# Predicts (CO2 kg/m3, strength MPa) for candidates with every model feature.
Predictor = Callable[[Columns], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class PlantMix:
    """How the plant turns candidates (n x 6 masses) into every column the models and
    the truth read: its physics (``generate``) under a production ``context``."""

    generate: Generate
    context: OptimizeContext

    def columns(self, x: np.ndarray, targets: bool = True) -> dict[str, np.ndarray]:
        """The physics' :func:`~co2mix.physics.truth.mix_columns` (their true CO2 and
        strength too unless not ``targets``), plus the cement supplier the strength
        models take as a category."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        context, gen = self.context, self.generate
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

    def __call__(self, x: np.ndarray) -> Candidates:
        return Candidates(x, self)


def candidate_columns(
    x: np.ndarray, params: PlantParams, targets: bool = True
) -> dict[str, np.ndarray]:
    """Candidates (n x 6 masses) with every feature the models and truth need, as arrays,
    under ``optimize.context`` (:meth:`PlantMix.columns`)."""
    return PlantMix(params.generate, params.optimize.context).columns(x, targets)


class Candidates(dict[str, np.ndarray]):
    """:meth:`PlantMix.columns` whose true CO2 and strength are computed when first read.

    A surrogate's optimizer run scores thousands of single mixes and never reads the
    truth (a sixth of each call); the plant's own predictor (:func:`true_values`) and any
    predictor built on it read it as before."""

    def __init__(self, x: np.ndarray, plant: PlantMix):
        super().__init__(plant.columns(x, targets=False))
        self.plant = plant

    def __missing__(self, key: str) -> np.ndarray:
        if key not in TARGETS:
            raise KeyError(key)
        gen = self.plant.generate
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


STRENGTH_SCALE_MPA = 5.0  # a strength shortfall of this counts as one unit of violation
RATIO_SCALE = 0.1  # a breach of a mass ratio (water/binder, shares) of this: one unit
MASS_SCALE_KG = 100.0  # a breach of a mass limit of this: one unit
BINDER = "(cement + slag + fly_ash)"


def plant_limits(limits: MixLimits, exposure: ExposureLimit | None) -> tuple[Limit, ...]:
    """The plant's mix-design limits as expressions over a candidate's columns; an
    exposure class tightens water/binder and adds a least binder content."""
    low, high = limits.water_binder
    if exposure is not None:
        high = min(high, exposure.max_water_binder)
    plant = (
        Limit(f"water / {BINDER}", low, high, RATIO_SCALE),
        Limit(f"(slag + fly_ash) / {BINDER}", high=limits.scm_share_max, scale=RATIO_SCALE),
        Limit(f"fly_ash / {BINDER}", high=limits.fly_ash_share_max, scale=RATIO_SCALE),
        Limit(FINE_AGG, low=limits.fine_agg_min_kg, scale=MASS_SCALE_KG),
    )
    if exposure is None:
        return plant
    return (*plant, Limit(BINDER.strip("()"), low=exposure.min_binder_kg, scale=MASS_SCALE_KG))


def plant_space(
    params: PlantParams, required_mpa: float, support: DataSupport | None, starts: np.ndarray
) -> DesignSpace:
    """The configured design space: ``optimize.context`` and ``optimize.exposure_class``
    (:func:`plant_space_at`)."""
    opt = params.optimize
    return plant_space_at(
        params, opt.context, exposure_limits(params), required_mpa, support, starts
    )


def plant_space_at(
    params: PlantParams,
    context: OptimizeContext,
    exposure: ExposureLimit | None,
    required_mpa: float,
    support: DataSupport | None,
    starts: np.ndarray,
) -> DesignSpace:
    """The plant's design space: its six designed masses within ``optimize.bounds``, the
    process physics under ``context``, lowest CO2 with a predicted strength of at least
    ``required_mpa``, the mix limits tightened by ``exposure`` (an exposure class's; None:
    no class), and the data ``support`` (None: no support constraint)."""
    opt = params.optimize
    return DesignSpace(
        variables=DESIGNED_COLUMNS,
        bounds=[(opt.bounds[v][0], opt.bounds[v][1]) for v in DESIGNED_COLUMNS],
        candidates=PlantMix(params.generate, context),
        context=context.model_dump(),
        objective=CO2,
        floors=(Floor(STRENGTH, required_mpa, STRENGTH_SCALE_MPA),),
        limits=plant_limits(opt.limits, exposure),
        support=support,
        starts=starts,
        prices_per_kg=dict(opt.prices_per_kg),
    )


def by_target(predictor: Predictor) -> Predict:
    """A plant surrogate (CO2, strength) as every target's prediction (no std)."""

    def predict(columns: Columns) -> dict[str, Prediction]:
        co2, strength = predictor(columns)
        return {CO2: (co2, None), STRENGTH: (strength, None)}

    return predict


def true_values(columns: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The plant itself as a predictor: the noise-free CO2 and strength of the candidates."""
    return np.asarray(columns[CO2], dtype=float), np.asarray(columns[STRENGTH], dtype=float)


def check_reachable(
    params: PlantParams, name: str, predictor: Predictor, space: DesignSpace, required: float
) -> None:
    """Refuse, in seconds, a strength no supported mix is predicted to reach (the
    benchmark would spend minutes to report every run infeasible), naming the key and
    the highest strength the ``name`` surrogate reaches in ``space``."""
    opt = params.optimize
    budget = Budget(opt.budget, opt.popsize)
    highest = highest_reachable(space, STRENGTH, by_target(predictor), opt.seeds[0], budget)
    if highest is None or highest < required:
        reach = "no mix at all" if highest is None else f"at most {highest:.1f} MPa"
        specified = opt.strength_target_mpa
        mean = f" (a required mean of {required:g} MPa)" if required != specified else ""
        raise ParamsError(
            f"params.yaml: optimize.strength_target_mpa = {specified:g}{mean}: no mix within "
            f"optimize.bounds, the mix limits and the data support is predicted to reach it; "
            f"the highest the {name} surrogate reaches is {reach}"
        )
