"""A CSV dataset's design space and design-stage inputs (params section ``design``).

The decision variables are bounded by the data (or ``design.bounds``), the context is
held fixed, and differential evolution minimises the objective target's published model
subject to every constraint target's model reaching its floor, and to the data-support
constraint (inside the data's quantile box, near a real mix). A model with a predictive
standard deviation (the Gaussian process) must reach the floor with mean - ``margin_std``
x std. The answer is compared with the real mixes: the lowest-objective mix in the data
that meets the same floors under the same context, and the real mix nearest the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.pipeline import Pipeline

from co2mix.core.errors import ParamsError
from co2mix.core.expressions import expression, require
from co2mix.core.params import CsvParams
from co2mix.core.params_design import Design
from co2mix.optimize.design import DESIGN_OPTIMIZER, Budget
from co2mix.optimize.design_record import Designer, in_context
from co2mix.optimize.solvers import feasible_first
from co2mix.optimize.space import DesignSpace, Floor, Limit, Predict
from co2mix.optimize.support import DataSupport


@dataclass(frozen=True)
class DesignTarget:
    """A published model of one target, the features it reads, and its name."""

    name: str
    pipeline: Pipeline
    features: list[str]

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """(mean, predictive std or None): a Gaussian process gives its std."""
        model = self.pipeline.steps[-1][1]
        x = frame[self.features]
        if isinstance(model, GaussianProcessRegressor):
            mean, std = model.predict(self.pipeline[:-1].transform(x), return_std=True)
            return np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
        return np.asarray(self.pipeline.predict(x), dtype=float), None


@dataclass(frozen=True)
class ContextFrame:
    """A CSV dataset's candidates: the variables' values with the context held fixed, as
    the frame its published pipelines read."""

    variables: tuple[str, ...]
    context: Mapping[str, float | str]

    def __call__(self, x: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(np.atleast_2d(x), columns=list(self.variables))
        for column, value in self.context.items():
            frame[column] = value
        return frame


def csv_predictor(models: Mapping[str, DesignTarget]) -> Predict:
    """Every design target's published model, as the design space's predictor."""
    return lambda frame: {target: model.predict(frame) for target, model in models.items()}


def csv_space(
    params: CsvParams, models: Mapping[str, DesignTarget], rows: pd.DataFrame
) -> DesignSpace:
    """The design space of ``params.design`` over the data ``rows`` (their bounds and
    support); features the models read must be variables or context."""
    design = params.design
    assert design is not None  # the stage checked
    known = set(design.variables) | set(design.context)
    for target, model in models.items():
        missing = [f for f in model.features if f not in known]
        if missing:
            raise ParamsError(
                f"params.yaml: design: the {target} model reads {missing}, which are neither "
                "design.variables nor design.context"
            )
    absent = [v for v in design.variables if v not in rows.columns]
    if absent:
        raise ParamsError(f"params.yaml: design.variables {absent} are not columns of the data")
    # bounds and support come from the real mixes of the context's kind (concrete, not mortar)
    kinds = {c: v for c, v in design.context.items() if isinstance(v, str)}
    rows = rows[in_context(rows, kinds)]
    if rows.empty:
        raise ParamsError(f"params.yaml: design.context {kinds}: no row of the data has it")
    _check_limits(design, rows)
    bounds: list[tuple[float, float]] = []
    for v in design.variables:
        low, high = design.bounds.get(v, (float(rows[v].min()), float(rows[v].max())))
        bounds.append((float(low), float(high)))
    support = (
        DataSupport.from_rows(rows, tuple(design.variables), design.support, unique=True)
        if design.support.enabled
        else None
    )
    measured = rows[design.objective].dropna()
    return DesignSpace(
        variables=tuple(design.variables),
        bounds=bounds,
        candidates=ContextFrame(tuple(design.variables), dict(design.context)),
        context=dict(design.context),
        objective=design.objective,
        floors=tuple(
            Floor(target, floor, max(abs(floor), 1e-9), design.margin_std)
            for target, floor in design_floors(design).items()
        ),
        limits=tuple(
            Limit(text, low, high, max(abs(low), abs(high), 1e-9))
            for text, (low, high) in design.limits.items()
        )
        + exposure_class_limits(design),
        support=support,
        starts=rows[design.variables].dropna().drop_duplicates().to_numpy(dtype=float),
        penalty=feasible_first,  # the objective in units of the data's range
        objective_scale=(
            float(measured.min()),
            float(measured.max() - measured.min()) or 1.0,
        ),
    )


def design_floors(design: Design) -> dict[str, float]:
    """Each constraint target's floor, the strength's raised to the exposure class's
    least strength when a class applies."""
    floors = dict(design.constraints)
    exposure, limit = design.exposure, design.exposure_limit
    if exposure is not None and limit is not None:
        floors[exposure.strength] = max(floors[exposure.strength], limit.min_strength_mpa)
    return floors


def exposure_class_limits(design: Design) -> tuple[Limit, ...]:
    """The exposure class's maximum water/binder and least binder content as limits over
    the dataset's own water and binder expressions (none without a class)."""
    exposure, limit = design.exposure, design.exposure_limit
    if exposure is None or limit is None:
        return ()
    binder = f"({exposure.binder})"
    return (
        Limit(f"({exposure.water}) / {binder}", high=limit.max_water_binder, scale=0.1),
        Limit(binder, low=limit.min_binder_kg, scale=max(limit.min_binder_kg, 1.0)),
    )


def _check_limits(design: Design, rows: pd.DataFrame) -> None:
    """Every limit (and the exposure's water and binder) reads only variables and
    context, and gives a number on a real row."""
    texts = [(text, "design.limits") for text in design.limits]
    if design.exposure is not None:
        texts += [(design.exposure.water, "design.exposure.water")]
        texts += [(design.exposure.binder, "design.exposure.binder")]
    for text, key in texts:
        limit = expression(text, key)
        require(limit, [*design.variables, *design.context], key)
        try:
            np.asarray(limit.evaluate(rows.head(1)), dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParamsError(f"params.yaml: {key}: {text!r}: {exc}") from None


def csv_designer(
    params: CsvParams, models: dict[str, DesignTarget], rows: pd.DataFrame, name_column: str
) -> Designer:
    """The design stage's inputs for ``params.design``: its space over ``rows`` (the real
    mixes, named by ``name_column``), searched by differential evolution with the
    design's seeds and budget."""
    design = params.design
    assert design is not None
    return Designer(
        space=csv_space(params, models, rows),
        predict=csv_predictor(models),
        models={t: m.name for t, m in models.items()},
        constraints=dict(design.constraints),
        margin_std=design.margin_std,
        optimizer=DESIGN_OPTIMIZER,
        seeds=list(design.seeds),
        budget=Budget(design.budget, design.popsize),
        rows=rows,
        name_column=name_column,
    )
