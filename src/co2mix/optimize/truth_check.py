"""The plant's truth check: a proposed mix poured on the simulator's noise-free physics.

It answers what test RMSE cannot: does the mix a surrogate proposes really reach the
strength target (on the specified basis: the mean, or the characteristic value's share of
batches below it), what does it really emit against the reference mix, and what does it
cost. The plant's design answer and every benchmark run are checked by it; a CSV dataset
has no truth to check against.
"""

from __future__ import annotations

import numpy as np

from co2mix.core.schemas_optimize import TruthCheck
from co2mix.optimize.plant_space import Predictor, mix_frame
from co2mix.optimize.space import cost_per_m3
from co2mix.optimize.specification import Specification, dosed, fraction_below
from co2mix.optimize.summary import rounded
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, MIX_COLUMNS, REFERENCE_MIX, STRENGTH
from co2mix.plant_params.root import PlantParams

REFERENCE_X = np.array([[REFERENCE_MIX[v] for v in DESIGNED_COLUMNS]])


class PlantTruth:
    """The plant (``params``: the current batch's, drift included) checking mixes
    specified as ``spec`` says."""

    def __init__(self, params: PlantParams, spec: Specification):
        self.params, self.spec = params, spec
        reference = mix_frame(REFERENCE_X, params)
        self.reference = {
            CO2: float(reference[CO2].iloc[0]),
            STRENGTH: float(reference[STRENGTH].iloc[0]),
        }
        self.reference_cost = cost_per_m3(reference.iloc[0], params.optimize.prices_per_kg)

    def reduction(self, co2: float) -> float:
        """How far below the reference mix's CO2, in percent."""
        return 100.0 * (1.0 - co2 / self.reference[CO2])

    def fraction_below(self, mix: np.ndarray, target: float) -> float:
        """The share of ``mix``'s batches the plant would produce below ``target``."""
        strength = mix_frame(dosed(mix, self.params), self.params)[STRENGTH].to_numpy()
        return fraction_below(strength, target, self.params.generate.noise.strength_sigma)

    def check(
        self, x: np.ndarray, predict: Predictor, target: float, optimum_co2: float | None
    ) -> TruthCheck:
        """The mix ``x`` (the six designed masses) as ``predict`` saw it and as the plant
        makes it, against the specified ``target`` and the true optimum's CO2."""
        frame = mix_frame(x, self.params)
        co2_pred, strength_pred = predict(frame)
        truth = frame.iloc[0]
        gap = 100.0 * (truth[CO2] / optimum_co2 - 1.0) if optimum_co2 else np.nan
        below = self.fraction_below(x, target)
        if self.spec.basis == "characteristic":
            truly = below <= self.spec.fractile
        else:
            truly = bool(truth[STRENGTH] >= target - self.params.optimize.truth_tolerance_mpa)
        cost = cost_per_m3(truth, self.params.optimize.prices_per_kg)
        return TruthCheck(
            feasible=True,
            predicted_co2_kg_m3=float(co2_pred[0]),
            predicted_strength_mpa=float(strength_pred[0]),
            true_co2_kg_m3=float(truth[CO2]),
            true_strength_mpa=float(truth[STRENGTH]),
            truly_feasible=bool(truly),
            reduction_pct=self.reduction(truth[CO2]),
            gap_to_optimum_pct=gap,
            true_fraction_below_target=below,
            cost_per_m3=np.nan if cost is None else cost,
            mix={c: rounded(truth[c], 1) for c in MIX_COLUMNS},
        )
