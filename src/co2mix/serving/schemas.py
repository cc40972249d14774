"""Request and response bodies. The request models are built from what is served: a row
has exactly the champions' features, a categorical one accepts only the categories the
models were trained on (the 422 lists them), and numbers must be finite (and not
negative where ``serve.non_negative`` says a column is a mass, an energy or a distance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import GenericAlias
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, create_model

from co2mix.serving.artifacts import Artifacts

STRICT = ConfigDict(extra="forbid", strict=True)
Contributions = Literal["exact", "approx", "none"]


def one_of(values: Sequence[str]) -> Any:
    """``Literal[values]`` for values known only when the service starts (the levels a
    champion was trained on): a type for pydantic, a value for the type checker."""
    return Literal.__getitem__(tuple(values))


def list_of(item: type[BaseModel]) -> Any:
    """``list[item]`` for a row model built when the service starts."""
    return GenericAlias(list, (item,))


def body_of(model: type[BaseModel]) -> Callable[[BaseModel], BaseModel]:
    """A FastAPI dependency that validates a request body against ``model``, a model
    built from the served params: a route declares ``Annotated[Static, Depends(...)]``
    and reads typed fields, where annotating the route with ``model`` itself would be a
    type only at run time (the checker sees a variable)."""

    def body(payload: BaseModel) -> BaseModel:
        return payload

    body.__annotations__ = {"payload": model, "return": model}  # what FastAPI reads
    return body


class PredictBody(BaseModel):
    """What a predict request holds (its row model is built from the champions)."""

    model_config = STRICT
    rows: list[BaseModel]
    contributions: Contributions = "exact"


def _column_field(art: Artifacts, column: str) -> tuple[Any, Any]:
    categories = art.categories(column)
    if categories is not None:
        return one_of(categories), Field(description=f"one of {categories}")
    low, high = plausible_range(art, column)
    return float, Field(
        ge=low,
        le=high,
        allow_inf_nan=False,
        description=f"{column}: a finite number in [{low:g}, {high:g}]",
    )


def plausible_range(art: Artifacts, column: str) -> tuple[float, float]:
    """Where a request's value may lie: the training range widened by ten times its span
    on each side (far beyond what any model learnt, short of numbers that overflow its
    arithmetic), and never below 0 for a column in ``serve.non_negative``."""
    values = art.train[column].dropna() if column in art.train else None
    if values is None or values.empty:
        low, high = -1e6, 1e6
    else:
        span = max(float(values.max() - values.min()), 1.0)
        low, high = float(values.min()) - 10 * span, float(values.max()) + 10 * span
    if column in art.serve.non_negative:
        low = max(low, 0.0)
    return round(low, 3), round(high, 3)


def row_model(art: Artifacts, name: str, columns: list[str]) -> type[BaseModel]:
    """A model of one row with ``columns``, every one required."""
    fields: dict[str, Any] = {column: _column_field(art, column) for column in columns}
    return create_model(name, __config__=STRICT, **fields)


def predict_request(art: Artifacts) -> type[PredictBody]:
    row = row_model(art, "Row", art.features)
    return create_model(
        "PredictRequest",
        __base__=PredictBody,
        rows=(list_of(row), Field(min_length=1, description="rows to predict")),
        contributions=(
            Contributions,
            Field(
                default="exact",
                description="exact: the evaluate stage's explanation (TreeSHAP for trees, "
                "about 2.5 ms a row); approx: path attributions (Saabas), about 4x cheaper, "
                "also summing to the prediction; none: predictions and intervals only",
            ),
        ),
    )


def similar_request(art: Artifacts) -> type[BaseModel]:
    serve = art.serve
    fields: dict[str, Any] = {
        c: _column_field(art, c) for c in [*serve.similar_keys, *serve.similar_numeric]
    }
    fields["n"] = (int, Field(default=5, ge=1, le=100, description="rows to return"))
    return create_model("SimilarRequest", __config__=STRICT, **fields)


def advise_request(art: Artifacts) -> type[BaseModel] | None:
    """The fixed context (defaults: ``optimize.context``) and the strength target; None
    for a dataset without the plant's optimizer."""
    if art.plant is None:
        return None
    opt = art.plant.optimize
    context = opt.context
    suppliers = tuple(art.categories("cement_supplier") or [context.cement_supplier])
    return create_model(
        "AdviseRequest",
        __config__=STRICT,
        strength_target_mpa=(
            float,
            Field(default=opt.strength_target_mpa, gt=0.0, le=150.0, allow_inf_nan=False),
        ),
        ambient_temp_c=(float, Field(default=context.ambient_temp_c, ge=-30.0, le=50.0)),
        transport_km=(float, Field(default=context.transport_km, ge=0.0, le=500.0)),
        age_days=(float, Field(default=context.age_days, gt=0.0, le=365.0)),
        mixing_time_s=(float, Field(default=context.mixing_time_s, gt=0.0, le=600.0)),
        drum_rpm=(float, Field(default=context.drum_rpm, gt=0.0, le=30.0)),
        cement_supplier=(one_of(suppliers), Field(default=context.cement_supplier)),
        exposure_class=(
            one_of(classes) | None if (classes := tuple(opt.exposure_classes)) else None,
            Field(
                default=opt.exposure_class,
                description="EN 206 exposure class: its max water/binder, min binder and "
                "least strength apply (optimize.exposure_classes)",
            ),
        ),
    )


class TargetPrediction(BaseModel):
    prediction: float
    interval: tuple[float, float] | None = Field(
        description="split-conformal interval at the level in /v1/model (null: none calibrated)"
    )
    contributions: dict[str, float] | None = Field(
        description="per feature; with constant they sum to the prediction (null: not asked)"
    )
    constant: float | None


class PredictedRow(BaseModel):
    predictions: dict[str, TargetPrediction]  # by target


class PredictResponse(BaseModel):
    models: dict[str, str]  # target -> champion
    rows: list[PredictedRow]


class SimilarRow(BaseModel):
    id: int | str
    distance: float = Field(description="Euclidean, on the numeric columns scaled by their std")
    values: dict[str, float | str]


class SimilarResponse(BaseModel):
    matched_on: dict[str, str]
    rows: list[SimilarRow]


class Estimate(BaseModel):
    prediction: float
    interval: tuple[float, float] | None
    model: str


class NearestMix(BaseModel):
    id: int | str
    distance: float = Field(description="standardized distance to the advised mix")
    mix: dict[str, float]


class AdviseResponse(BaseModel):
    strength_target_mpa: float
    surrogate: str = Field(description="the model the search optimized")
    mix: dict[str, float]  # kg/m3, fine aggregate filling the cubic metre
    co2_kg_m3: Estimate  # the champions' view of the advised mix
    strength_mpa: Estimate
    reference_co2_kg_m3: float = Field(description="the champion's CO2 of the reference mix")
    co2_cut_pct: float
    specification: dict[str, Any] = Field(
        description="how the target was read: basis (mean or characteristic), the production "
        "sd and margin, the required mean strength, the exposure class and its limits"
    )
    cost_per_m3: float | None = Field(description="materials at optimize.prices_per_kg")
    nearest_real_mix: NearestMix
    seconds: float


def design_request(art: Artifacts) -> type[BaseModel]:
    """A CSV design space's advice request: each constraint's floor, each context column
    and, where the dataset declares exposure classes, the class (defaults: the params'
    ``design``; a number held to the data's range, a category to the data's levels)."""
    design = getattr(art.params, "design", None)
    rows = art.design_rows
    assert design is not None and rows is not None  # only a dataset with a design space
    fields: dict[str, Any] = {
        target: (float, Field(default=floor, allow_inf_nan=False, description=f"lowest {target}"))
        for target, floor in design.constraints.items()
    }
    for column, value in design.context.items():
        if isinstance(value, str):
            levels = tuple(sorted(str(v) for v in rows[column].dropna().unique()))
            fields[column] = (one_of(levels), Field(default=value))
        else:
            low, high = float(rows[column].min()), float(rows[column].max())
            fields[column] = (float, Field(default=value, ge=low, le=high, allow_inf_nan=False))
    if design.exposure is not None:
        fields["exposure_class"] = (
            one_of(tuple(design.exposure.classes)) | None,
            Field(
                default=design.exposure_class,
                description="EN 206 exposure class: its max water/binder, min binder and "
                "least strength apply (design.exposure.classes)",
            ),
        )
    return create_model("DesignRequest", __config__=STRICT, **fields)


def json_scalar(value: Any) -> Any:
    """A numpy or pandas scalar as a JSON-ready Python value."""
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | str) else str(value)
