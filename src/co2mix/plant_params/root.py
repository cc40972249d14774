"""The simulated plant's whole params tree, and the rule its rows keep (volume balance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import model_validator

from co2mix.core.errors import ParamsError
from co2mix.core.params import Params, RowRule, RowStructure
from co2mix.core.params_serve import Serve
from co2mix.physics.truth import MIX_COLUMNS, volume_m3
from co2mix.plant_params.sections import Forecast, Generate, Optimize

VOLUME_TOLERANCE_M3 = 0.01  # the plant's rows close their volume balance to 1e-15


def volume_closes(frame: pd.DataFrame) -> pd.Series:
    """Whether each row's mass / density plus air is 1 m3 (within the tolerance): the
    physics every other column of the plant is derived from."""
    return pd.Series(np.abs(volume_m3(frame) - 1.0) <= VOLUME_TOLERANCE_M3, index=frame.index)


VOLUME_BALANCE = RowRule(
    name=f"volume balance: mass/density + air = 1 m3 (within {VOLUME_TOLERANCE_M3})",
    columns=tuple(MIX_COLUMNS),
    holds=volume_closes,
)


class PlantParams(Params):
    """The simulated plant: its generator, the mix optimizer checked against its physics,
    the forecast of its series and the served API."""

    generate: Generate
    optimize: Optimize
    forecast: Forecast
    serve: Serve

    @model_validator(mode="after")
    def _plant_source(self) -> PlantParams:
        if self.data.source != "plant":
            raise ValueError("data.source must be plant with a generate section")
        if self.data.time_column is None or self.prepare.split == "batches":
            raise ValueError(
                "the plant needs data.time_column and a prepare.split of random or time"
            )
        return self

    def row_structure(self) -> RowStructure:
        """Batches are independent (random split) or ordered in time (time split)."""
        if self.prepare.split == "time":
            return RowStructure("time", self.data.order_column)
        return RowStructure("random")

    def row_rules(self) -> tuple[RowRule, ...]:
        """Every batch closes its volume balance."""
        return (VOLUME_BALANCE,)


def require_plant(params: Params, stage: str) -> PlantParams:
    """``params`` as the simulated plant's; a CSV dataset is refused naming ``stage``."""
    if not isinstance(params, PlantParams):
        raise ParamsError(
            f"params.yaml: {stage} needs data.source: plant (the simulator's sections); "
            f"this dataset's source is {params.data.source}"
        )
    return params
