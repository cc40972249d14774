"""The strength a mix is designed for, read the way EN 206 and ACI 318 specify concrete.

A specified strength is a *characteristic* value: at most a small share of the batches
poured from the mix (5 %) may test below it. Batches scatter (the test's noise, every
scale's dosing error), so the mix is designed for a higher mean,
``f_ck + z(1 - fractile) x s``, with ``s`` the plant's own production sd: the published
strength champion's RMSE on the latest fresh rows (refresh stage), never below
``optimize.strength.sd_floor_mpa``. With ``basis: mean`` the mean itself must reach the
target (about a third of the batches then fall below it).

An exposure class adds durability limits (maximum water/binder, minimum binder content)
and a least characteristic strength (:func:`specified_target`).

The truth check (:func:`dosed`, :func:`fraction_below`) asks the plant how many batches
of a mix would really fall below the target: the mix dosed with the plant's dosing
scatter (a fixed set of draws), each draw's noise-free strength with the test's normal
noise around it, the probabilities averaged (smooth in the mix: no committed number
jumps on a last bit).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy.stats import norm

from co2mix.core.params_base import ExposureLimit
from co2mix.core.schemas import RefreshMetrics
from co2mix.core.schemas_optimize import Specified
from co2mix.physics.truth import STRENGTH
from co2mix.plant_params.root import PlantParams

DOSING_DRAWS = 4000  # batches dosed from one mix in the truth check
DOSING_SEED = 20_614  # fixed: the same draws for every mix checked


@dataclass(frozen=True)
class Specification:
    basis: str
    target_mpa: float  # the specified (characteristic or mean) strength
    fractile: float
    sd_mpa: float  # the production sd the margin is computed with (0: mean basis)
    sd_source: str
    exposure_class: str | None
    exposure: ExposureLimit | None

    @property
    def margin_mpa(self) -> float:
        if self.basis != "characteristic":
            return 0.0
        return float(NormalDist().inv_cdf(1.0 - self.fractile)) * self.sd_mpa

    def required_mean(self, target: float) -> float:
        """The mean strength a mix specified at ``target`` is designed for."""
        return target + self.margin_mpa

    def record(self) -> Specified:
        """What the metrics say about how the answer was specified."""
        return {
            "basis": self.basis,
            "fractile": self.fractile if self.basis == "characteristic" else None,
            "sd_mpa": round(self.sd_mpa, 6),
            "sd_source": self.sd_source,
            "margin_mpa": round(self.margin_mpa, 6),
            "required_mean_mpa": round(self.required_mean(self.target_mpa), 6),
            "exposure_class": self.exposure_class,
            "exposure_limits": self.exposure.model_dump() if self.exposure else None,
        }


def production_sd(params: PlantParams, refresh: RefreshMetrics | None) -> tuple[float, str]:
    """The plant's production sd: the published strength champion's RMSE on the latest
    fresh rows, raised to the floor; and where it came from."""
    floor = params.optimize.strength.sd_floor_mpa
    target = (refresh or {}).get(STRENGTH)
    if target is None:
        return floor, f"sd_floor_mpa {floor:g} (no refresh record)"
    rmse = float(target[target["decision"]]["rmse"])
    if rmse < floor:
        return floor, f"sd_floor_mpa {floor:g} (the champion's RMSE on the latest rows: {rmse:.3g})"
    rows = target["latest_rows"]
    return rmse, f"the published strength champion's RMSE on the latest {rows} rows"


def specification(params: PlantParams, refresh: RefreshMetrics | None) -> Specification:
    """How ``optimize.strength_target_mpa`` is specified, with ``optimize.exposure_class``."""
    opt = params.optimize
    return specify(params, refresh, opt.strength_target_mpa, opt.exposure_class)


def specify(
    params: PlantParams,
    refresh: RefreshMetrics | None,
    target_mpa: float,
    exposure_class: str | None,
) -> Specification:
    """How a strength of ``target_mpa`` is specified under ``optimize.strength`` and an
    exposure class (a key of ``optimize.exposure_classes``; None: no class): an advice
    request's target and class, or the configured ones (:func:`specification`)."""
    opt = params.optimize
    sd, source = production_sd(params, refresh)
    if opt.strength.basis != "characteristic":
        sd, source = 0.0, "mean basis: no margin"
    exposure = opt.exposure_classes[exposure_class] if exposure_class else None
    return Specification(
        opt.strength.basis,
        specified_target(target_mpa, exposure),
        opt.strength.fractile,
        sd,
        source,
        exposure_class,
        exposure,
    )


def specified_target(target: float, exposure: ExposureLimit | None) -> float:
    """The target, raised to the exposure class's least strength."""
    return max(target, exposure.min_strength_mpa) if exposure else target


def exposure_limits(params: PlantParams) -> ExposureLimit | None:
    """The limits of ``optimize.exposure_class`` (None: no class chosen)."""
    opt = params.optimize
    return opt.exposure_classes[opt.exposure_class] if opt.exposure_class else None


def dosed(mix: np.ndarray, params: PlantParams) -> np.ndarray:
    """:data:`DOSING_DRAWS` batches of ``mix`` (the six designed masses) as the plant's
    scales dose it (each mass off by ``generate.noise.dosing_cv``; fixed draws)."""
    rng = np.random.default_rng(DOSING_SEED)
    mix = np.asarray(mix, dtype=float).ravel()
    scatter = rng.normal(0.0, params.generate.noise.dosing_cv, size=(DOSING_DRAWS, len(mix)))
    dosed_masses: np.ndarray = np.maximum(mix * (1.0 + scatter), 0.0)
    return dosed_masses


def fraction_below(strength: np.ndarray, target: float, sigma: float) -> float:
    """The share of batches below ``target``: each dosed batch's noise-free ``strength``
    with the test's normal noise (sd ``sigma``) around it."""
    strength = np.asarray(strength, dtype=float)
    if sigma == 0:
        return float(np.mean(strength < target))
    return float(np.mean(norm.cdf((target - strength) / sigma)))
