"""The ``design`` section of a CSV dataset: its design space, for the design stage.

A dataset declares which columns a designer chooses (the decision variables, bounded by
the data unless told otherwise), which are held fixed (the context: an age, a curing
temperature, a kind of mix), which target to minimise and which targets must reach a
floor. The models are the pipeline's published ones; a model with a predictive standard
deviation (the Gaussian process) can be held to mean - ``margin_std`` x std. A dataset
whose columns give its water and binder contents may declare EN 206 exposure classes
(``exposure``); ``exposure_class`` applies one: a maximum water/binder and a least binder
content as limits, and the class's least strength as the strength floor's lowest value.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from co2mix.core.expressions import checked
from co2mix.core.params_base import ExposureLimit, Pair, Section, Seed, Support


class DesignExposure(Section):
    """EN 206 exposure classes on a dataset's design: which expressions over its columns
    are the water and the binder contents (kg/m3), which constraint target is the
    strength a class's least strength raises, and the classes' limits."""

    water: str
    binder: str
    strength: str
    classes: Annotated[dict[str, ExposureLimit], Field(min_length=1)]

    _safe_expressions = field_validator("water", "binder")(checked)


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
    exposure: DesignExposure | None = None  # the dataset's exposure classes, if any
    exposure_class: str | None = None  # a key of exposure.classes: its limits apply
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
        return self._exposure_consistent()

    def _exposure_consistent(self) -> Design:
        exposure = self.exposure
        if self.exposure_class is not None:
            if exposure is None:
                raise ValueError("exposure_class needs exposure (water, binder, classes)")
            if self.exposure_class not in exposure.classes:
                raise ValueError(
                    f"exposure_class {self.exposure_class!r} is not one of exposure.classes "
                    f"{sorted(exposure.classes)}"
                )
        if exposure is not None and exposure.strength not in self.constraints:
            raise ValueError(
                f"exposure.strength {exposure.strength!r} is not a constraint "
                f"{sorted(self.constraints)}"
            )
        return self

    @property
    def exposure_limit(self) -> ExposureLimit | None:
        """The chosen class's limits (None: no class)."""
        if self.exposure is None or self.exposure_class is None:
            return None
        return self.exposure.classes[self.exposure_class]

    @property
    def targets(self) -> list[str]:
        return [self.objective, *self.constraints]
