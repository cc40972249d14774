"""One design space for every dataset: what a mix-design search sees, whoever built it.

The plant fills it from its params and physics (:mod:`co2mix.optimize.plant_space`), a
CSV dataset from its ``design`` section (:mod:`co2mix.optimize.csv_design`); the searches
(:mod:`co2mix.optimize.design`) and the solvers (:mod:`co2mix.optimize.solvers`) know
only this value. It holds the decision variables and their bounds, how a candidate
becomes every column the models read (the fixed context, and for the plant its physics),
the objective, the floors the constraint targets must reach (a characteristic strength's
margin already in the required value), the engineering limits as expressions, and the
data-support rule. The models are not part of it: the plant's benchmark searches one
space with many surrogates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from co2mix.core.expressions import parse_expression
from co2mix.optimize.compiled import Columns
from co2mix.optimize.solvers import Bounds, Penalty, Scorer, additive
from co2mix.optimize.support import DataSupport

# a target's prediction for candidates: (mean, predictive std or None)
Prediction = tuple[np.ndarray, np.ndarray | None]
# every target's prediction for candidate columns
Predict = Callable[[Columns], Mapping[str, Prediction]]


class CandidateColumns(Protocol):
    """Candidates (n x variables) -> every column the models, limits and support read."""

    def __call__(self, x: np.ndarray) -> Columns: ...


@dataclass(frozen=True)
class Limit:
    """An engineering limit: an expression over the candidates' columns (the syntax of
    ``design.limits``, :mod:`co2mix.core.expressions`) held within [``low``, ``high``]. A
    breach of ``scale`` counts as one unit of violation, so that limits in different units
    weigh alike."""

    text: str
    low: float = -np.inf
    high: float = np.inf
    scale: float = 1.0

    def violation(self, columns: Columns) -> np.ndarray:
        value = np.asarray(parse_expression(self.text).evaluate(columns), dtype=float)
        breach = np.maximum(self.low - value, 0.0) + np.maximum(value - self.high, 0.0)
        violation: np.ndarray = breach / self.scale
        return violation


@dataclass(frozen=True)
class Floor:
    """A constraint target's lowest allowed value. ``required`` is what the model must
    predict (a characteristic strength's required mean, any safety margin included); a
    model with a predictive std is held at mean - ``margin_std`` x std. A shortfall of
    ``scale`` counts as one unit of violation."""

    target: str
    required: float
    scale: float
    margin_std: float = 0.0

    def held(self, prediction: Prediction) -> np.ndarray:
        mean, std = prediction
        held: np.ndarray = mean if std is None else mean - self.margin_std * std
        return held

    def violation(self, prediction: Prediction) -> np.ndarray:
        shortfall: np.ndarray = np.maximum(self.required - self.held(prediction), 0.0)
        return shortfall / self.scale


@dataclass(frozen=True)
class Evaluated:
    """Candidates scored: their columns, the objective's prediction, the total violation
    (0: feasible), every target's prediction and each floor's held value."""

    columns: Columns
    objective: np.ndarray
    violation: np.ndarray
    predictions: Mapping[str, Prediction]
    held: dict[str, np.ndarray]


@dataclass(frozen=True)
class DesignSpace:
    """A mix-design problem: minimise ``objective`` over ``variables`` within ``bounds``
    subject to ``floors``, ``limits`` and (when not None) the data ``support``."""

    variables: tuple[str, ...]
    bounds: Bounds
    candidates: CandidateColumns
    context: Mapping[str, float | str]  # what is held fixed (the candidates' other columns)
    objective: str
    floors: tuple[Floor, ...]
    limits: tuple[Limit, ...]
    support: DataSupport | None
    starts: np.ndarray  # real mixes' variables: where population searches begin
    penalty: Penalty = additive  # how the solvers rank infeasible candidates
    # the objective as the solver sees it: (value - low) / span
    objective_scale: tuple[float, float] = (0.0, 1.0)
    prices_per_kg: Mapping[str, float] = field(default_factory=dict)  # column -> price
    cost_weight: float = 0.0  # objective units per unit of cost (a CO2-cost front)

    def evaluate(self, x: np.ndarray, predict: Predict) -> Evaluated:
        x = np.atleast_2d(x)
        columns = self.candidates(x)
        predictions = predict(columns)
        violation = np.zeros(len(x))
        held: dict[str, np.ndarray] = {}
        for floor in self.floors:
            held[floor.target] = floor.held(predictions[floor.target])
            violation = violation + floor.violation(predictions[floor.target])
        for limit in self.limits:
            violation = violation + limit.violation(columns)
        if self.support is not None:
            violation = violation + self.support.violation(columns)
        objective = np.asarray(predictions[self.objective][0], dtype=float)
        return Evaluated(columns, objective, violation, predictions, held)

    def score(self, x: np.ndarray, predict: Predict) -> tuple[np.ndarray, np.ndarray]:
        """(objective as the solver sees it, violation) of candidates ``x``."""
        evaluated = self.evaluate(x, predict)
        low, span = self.objective_scale
        objective = (evaluated.objective - low) / span
        if self.cost_weight and self.prices_per_kg:
            cost = material_cost(evaluated.columns, self.prices_per_kg)
            objective = objective + self.cost_weight * cost
        return objective, evaluated.violation

    def scorer(self, predict: Predict) -> Scorer:
        return lambda x: self.score(x, predict)

    def floor(self, target: str) -> Floor:
        """The floor on ``target`` (KeyError naming the floors when there is none)."""
        for floor in self.floors:
            if floor.target == target:
                return floor
        raise KeyError(f"{target!r} has no floor; floors: {[f.target for f in self.floors]}")

    def requiring(self, target: str, required: float) -> DesignSpace:
        """This space with ``target``'s floor at ``required``."""
        floors = tuple(
            replace(f, required=required) if f.target == target else f for f in self.floors
        )
        return replace(self, floors=floors)


def material_cost(columns: Columns, prices: Mapping[str, float]) -> np.ndarray:
    """Each candidate's material cost per m3 at ``prices`` (per kg)."""
    cost = np.zeros(len(np.atleast_1d(np.asarray(columns[next(iter(prices))]))))
    for material, price in prices.items():
        cost = cost + np.atleast_1d(np.asarray(columns[material], dtype=float)) * price
    return cost


def cost_per_m3(columns: Columns, prices: Mapping[str, float]) -> float | None:
    """One mix's material cost per m3 (None without prices)."""
    return float(material_cost(columns, prices)[0]) if prices else None
