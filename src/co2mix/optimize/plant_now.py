"""The plant as it produced the current batch: what the optimizer designs for.

A mix is poured next week, not in the reference years. When the simulator drifted the
current batch (truth.json: the main supplier's cement weaker, a colder year), the
optimizer's fixed context and its truth check take that drift on, so a mix designed with
a model that has not seen it is checked against the plant that will make it; a stale
model's proposal then shows as truly infeasible instead of passing against the past.
Without a drift (or without truth.json, a real dataset) the params are unchanged.
"""

from __future__ import annotations

from co2mix.core.schemas import TruthRecord
from co2mix.core.schemas_optimize import PlantNow
from co2mix.plant_params.root import PlantParams
from co2mix.simulate.plant import supplier_factors


def current_plant(params: PlantParams, truth: TruthRecord | None) -> PlantParams:
    """``params`` with the current batch's drift applied to the optimizer's context (its
    ambient temperature) and to the suppliers' strength factors."""
    drift = truth["current"]["drift"] if truth else None
    if not drift:
        return params
    drivers = drift["drivers"]
    gen, opt = params.generate, params.optimize
    factors = supplier_factors(gen, drivers["main_supplier_weakening"])
    suppliers = {
        name: supplier.model_copy(update={"strength_factor": factors[name]})
        for name, supplier in gen.suppliers.items()
    }
    ambient = opt.context.ambient_temp_c + drivers["ambient_offset_c"]
    context = opt.context.model_copy(update={"ambient_temp_c": ambient})
    return params.model_copy(
        update={
            "generate": gen.model_copy(update={"suppliers": suppliers}),
            "optimize": opt.model_copy(update={"context": context}),
        }
    )


def describe_plant(params: PlantParams, truth: TruthRecord | None) -> PlantNow:
    """What the metrics say about the plant designed for."""
    drift = truth["current"]["drift"] if truth else None
    context = params.optimize.context
    return {
        "scenario": drift["scenario"] if drift else "none",
        "ambient_temp_c": round(context.ambient_temp_c, 6),
        "cement_supplier": context.cement_supplier,
        "strength_factor": round(
            params.generate.suppliers[context.cement_supplier].strength_factor, 6
        ),
    }
