"""The ``design`` section of a CSV dataset: its design space, for the design stage.

A dataset declares which columns a designer chooses (the decision variables, bounded by
the data unless told otherwise), which are held fixed (the context: an age, a curing
temperature, a kind of mix), which target to minimise and which targets must reach a
floor. The models are the pipeline's published ones; a model with a predictive standard
deviation (the Gaussian process) can be held to mean - ``margin_std`` x std.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from co2mix.core.expressions import checked
from co2mix.core.params_base import Pair, Section, Seed, Support


class Design(Section):
    objective: str  # the target minimised
    constraints: Annotated[dict[str, float], Field(min_length=1)]  # target -> lowest allowed
    variables: Annotated[list[str], Field(min_length=1)]
    bounds: dict[str, Pair] = Field(default_factory=dict)  # overrides of the data's [min, max]
    context: dict[str, float | str] = Field(default_factory=dict)  # features held fixed
    # engineering limits: expression over the variables and context -> [low, high]
    # (co2mix.core.expressions: columns, numbers, arithmetic, comparisons, a few functions)
    limits: dict[str, Pair] = Field(default_factory=dict)
    models: dict[str, str] = Field(
        default_factory=dict
    )  # target -> published model (else champion)
    margin_std: Annotated[
        float, Field(ge=0.0)
    ]  # constraint on mean - this x std, where a std exists
    support: Support
    seeds: Annotated[list[Seed], Field(min_length=1)]
    budget: Annotated[int, Field(ge=100)]  # candidate mixes per seed
    popsize: Annotated[int, Field(ge=5)]

    @field_validator("limits")
    @classmethod
    def _safe_limits(cls, limits: dict[str, Pair]) -> dict[str, Pair]:
        checked(list(limits))  # the expressions are the keys
        return limits

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if self.objective in self.constraints:
            raise ValueError(f"objective {self.objective!r} is also a constraint")
        clash = sorted(set(self.variables) & set(self.context))
        if clash:
            raise ValueError(f"{clash} are both variables and context")
        unknown = sorted(set(self.bounds) - set(self.variables))
        if unknown:
            raise ValueError(f"bounds {unknown} are not variables")
        inverted = sorted(v for v, (low, high) in self.bounds.items() if low > high)
        if inverted:
            raise ValueError(f"bounds {inverted}: lower bound above upper bound")
        return self

    @property
    def targets(self) -> list[str]:
        return [self.objective, *self.constraints]
