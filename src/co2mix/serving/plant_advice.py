"""Mix advice on the simulated plant: the lowest-CO2 supported mix for a context and a
strength target, found by the optimize layer's own search (:func:`design_mix`) on the
published surrogate, then estimated by the champions with their intervals.

A request becomes the plant's design space (:func:`plant_space_at` with the request's
context, target and exposure class), the same kind of value the optimize stage and a CSV
dataset's design search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape
from typing import Any

from co2mix.optimize.compiled import Columns
from co2mix.optimize.design import Budget, DeadlineExceeded, design_mix
from co2mix.optimize.plant_space import by_target, plant_space_at, plant_support, starting_mixes
from co2mix.optimize.space import DesignSpace, cost_per_m3
from co2mix.optimize.specification import Specification, specify
from co2mix.optimize.surrogates import Members
from co2mix.optimize.truth_check import REFERENCE_X
from co2mix.physics.truth import CO2, MIX_COLUMNS, STRENGTH
from co2mix.plant_params.root import PlantParams
from co2mix.plant_params.sections import OptimizeContext
from co2mix.serving.advice import AdviceLate, AdviceRefused, OneAtATime
from co2mix.serving.artifacts import Artifacts
from co2mix.serving.page_parts import band, bar_chart
from co2mix.serving.schemas import AdviseResponse, advise_request, json_scalar

# the champion's estimate of a target for candidate columns: prediction, interval, model
Estimate = Callable[[str, Columns], dict[str, Any]]


class Unreachable(AdviceRefused):
    """No supported mix reaches the requested strength."""

    def __init__(self, target: float, highest: float | None):
        self.target, self.highest = target, highest
        reach = (
            f"the highest a supported mix reaches is {highest:.1f} MPa"
            if highest is not None
            else "no mix within the limits and the data support was found at all"
        )
        super().__init__(
            f"strength_target_mpa: no mix within optimize.bounds, the mix limits and the "
            f"data support is predicted to reach {target:g} MPa (the mean the specified "
            f"strength needs); {reach}"
        )


class PlantAdvisor:
    """The plant's design space with its surrogate, support and starting mixes."""

    response = AdviseResponse
    refused = "no supported mix reaches the target"

    def __init__(self, art: Artifacts, plant: PlantParams, estimate: Estimate):
        assert art.surrogate is not None  # the caller checked
        request = advise_request(art)
        assert request is not None
        self.art, self.plant, self.estimate, self.request = art, plant, estimate, request
        # the training mixes' index: the data support (when enabled) and the nearest real
        # mix of every advice, fitted once
        self.mixes = plant_support(art.train, plant)
        self.support = self.mixes if plant.optimize.support.enabled else None
        self.starts = starting_mixes(art.train, plant)
        self.surrogate = Members([art.surrogate[CO2]], [art.surrogate[STRENGTH]]).compiled()
        self.searching = OneAtATime()

    def space_for(self, request: dict[str, Any]) -> tuple[DesignSpace, Specification]:
        """The plant's design space for the request's context, strength target and
        exposure class (the configured class when the request names none), and how its
        strength is specified."""
        params = self.plant
        context = OptimizeContext(**{k: request[k] for k in OptimizeContext.model_fields})
        exposure_class = request.get("exposure_class", params.optimize.exposure_class)
        spec = specify(params, self.art.refresh, request["strength_target_mpa"], exposure_class)
        required = spec.required_mean(spec.target_mpa)
        space = plant_space_at(params, context, spec.exposure, required, self.support, self.starts)
        return space, spec

    def advise(self, values: dict[str, Any]) -> dict[str, Any]:
        """The lowest-CO2 supported mix for the request's context and strength target."""
        start = time.perf_counter()
        space, spec = self.space_for(values)
        serve = self.plant.serve
        budget = Budget(
            self.plant.optimize.budget, self.plant.optimize.popsize, serve.advise_seconds
        )
        with self.searching.held():  # the whole bound once a search starts
            try:
                design = design_mix(space, by_target(self.surrogate), serve.advise_seed, budget)
            except DeadlineExceeded:
                raise AdviceLate(serve.advise_seconds) from None
        if design.mix is None:
            raise Unreachable(space.floor(STRENGTH).required, design.highest)
        advised = space.candidates(design.mix[None, :])
        reference = space.candidates(REFERENCE_X)
        co2 = self.estimate(CO2, advised)
        reference_co2 = self.estimate(CO2, reference)["prediction"]
        cost = cost_per_m3(advised, space.prices_per_kg)
        return {
            "strength_target_mpa": spec.target_mpa,
            "surrogate": self.plant.optimize.surrogate,
            "mix": {c: round(float(advised[c][0]), 1) for c in MIX_COLUMNS},
            "co2_kg_m3": co2,
            "strength_mpa": self.estimate(STRENGTH, advised),
            "reference_co2_kg_m3": reference_co2,
            "co2_cut_pct": round(100.0 * (1.0 - co2["prediction"] / reference_co2), 2),
            "specification": spec.record(),
            "cost_per_m3": None if cost is None else round(cost, 2),
            "nearest_real_mix": self.nearest(advised),
            "seconds": round(time.perf_counter() - start, 3),
        }

    def nearest(self, advised: Columns) -> dict[str, Any]:
        """The training batch whose mix is nearest the advised one."""
        distance, label = self.mixes.nearest(advised)
        row = self.art.train.loc[label[0]]
        return {
            "id": json_scalar(row[self.art.params.data.id_column]),
            "distance": round(float(distance[0]), 4),
            "mix": {c: round(float(row[c]), 1) for c in MIX_COLUMNS},
        }

    def page_result(self, advice: dict[str, Any]) -> str:
        """The advised mix, its CO2 against the reference mix's (a chart) and strength."""
        mix = "".join(
            f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in advice["mix"].items()
        )
        near = advice["nearest_real_mix"]
        co2, strength = advice["co2_kg_m3"], advice["strength_mpa"]
        chart = bar_chart(
            "advice-chart",
            "CO2 of the advised mix and of the reference mix",
            "kg CO2e/m3",
            [("advised", co2["prediction"]), ("reference", advice["reference_co2_kg_m3"])],
        )
        return (
            f'<div class="result" id="advice"><h3>Advised mix (kg/m3)</h3><table>{mix}</table>'
            f"{chart}"
            f'<p>CO2 <b id="advice-co2">{co2["prediction"]:.1f}</b> kg CO2e/m3 '
            f"{band(co2['interval'])} against {advice['reference_co2_kg_m3']:.1f} for the "
            f'reference mix: <b id="advice-cut">{advice["co2_cut_pct"]:.1f} %</b> less.</p>'
            f"<p>Strength {strength['prediction']:.1f} MPa {band(strength['interval'])} "
            f"(target {advice['strength_target_mpa']:g}).</p>"
            f"<p>Nearest real mix: batch {escape(str(near['id']))}, standardized distance "
            f"{near['distance']:.2f}.</p></div>"
        )
