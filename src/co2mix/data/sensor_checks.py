"""Two deepchecks checks of our own, built on :mod:`co2mix.data.detect`: stuck sensor
readings and sensor spikes, so the check report counts exactly what prepare will clean."""

from __future__ import annotations

from typing import Any

import pandas as pd
from deepchecks.core import CheckResult, ConditionCategory, ConditionResult
from deepchecks.tabular import SingleDatasetCheck

from co2mix.data import detect



class _SensorFaultCheck(SingleDatasetCheck):
    """A per-sensor fault ratio with a condition on its maximum."""

    title = ""

    def __init__(self, columns: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = columns

    def flags(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError

    def run_logic(self, context: Any, dataset_kind: Any) -> CheckResult:
        frame = context.get_data_by_kind(dataset_kind).data
        flags = self.flags(frame)
        table = pd.DataFrame({"readings": flags.sum(), "ratio": flags.mean().round(6)})
        value = {
            "cells": table["readings"].astype(int).to_dict(),
            "ratio": table["ratio"].to_dict(),
        }
        return CheckResult(
            value, header=self.title, display=[table] if context.with_display else []
        )

    def add_condition_ratio_not_greater_than(self, max_ratio: float) -> _SensorFaultCheck:
        def condition(value: dict[str, Any]) -> ConditionResult:
            failing = {c: r for c, r in value["ratio"].items() if r > max_ratio}
            if failing:
                worst = ", ".join(f"{c} {r:.2%}" for c, r in sorted(failing.items()))
                return ConditionResult(ConditionCategory.FAIL, f"above {max_ratio:.2%}: {worst}")
            top = max(value["ratio"].values(), default=0.0)
            return ConditionResult(ConditionCategory.PASS, f"highest ratio {top:.2%}")

        return self.add_condition(f"{self.title} ratio <= {max_ratio:.2%} per sensor", condition)


class StuckSensors(_SensorFaultCheck):
    """Sensors repeating their reading (tampered or frozen instruments)."""

    title = "Stuck sensor readings"

    def __init__(self, columns: list[str], min_readings: int, **kwargs: Any) -> None:
        super().__init__(columns, **kwargs)
        self.min_readings = min_readings

    def flags(self, frame: pd.DataFrame) -> pd.DataFrame:
        return detect.stuck_cells(frame, self.columns, self.min_readings)


class SensorSpikes(_SensorFaultCheck):
    """Readings far outside their sensor's robust range."""

    title = "Sensor spikes"

    def __init__(self, columns: list[str], z: float, min_readings: int, **kwargs: Any) -> None:
        super().__init__(columns, **kwargs)
        self.z = z
        self.min_readings = min_readings

    def flags(self, frame: pd.DataFrame) -> pd.DataFrame:
        stuck = detect.stuck_cells(frame, self.columns, self.min_readings)
        return detect.spike_cells(frame, self.columns, self.z, exclude=stuck)


