"""Implausible rows: numbers that are each possible but together unlike any batch the
plant (or the dataset) has produced, found by scikit-learn's isolation forest.

The rule, stated once: an isolation forest (:data:`TREES` trees, the given seed) is
fitted on the reference rows' numeric features but the sensor readings (a gap filled
with the column's reference median); a row is implausible when it is stranger (a lower score) than all but
:data:`RARITY` of the reference rows. Not Tukey's fence on the scores: the plant's
recipe families make the score distribution wide, and a batch with the most cement, the
least water and no aggregate at all scored inside Q1 - 3 IQR (tested). check counts them
and names the worst; prepare keeps them (``prepare.outliers: keep``) or drops them
(``drop``). Sensor readings are left to the stuck and spike detectors
(:mod:`co2mix.data.detect`): with the plant's seven sensors in, their injected spikes set
the reference's rarest scores and the absurd batch of the test scored as ordinary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from co2mix.core.params import Data

TREES = 200
RARITY = 0.001  # the share of reference rows as strange as an implausible row
RULE = (
    f"isolation forest ({TREES} trees) fitted on the reference rows' numeric features "
    "but the sensors; "
    f"implausible: stranger than all but {RARITY:.1%} of the reference rows"
)


@dataclass(frozen=True)
class OutlierRule:
    """The fitted rule: score any batch, flag what falls below ``threshold``."""

    forest: IsolationForest
    columns: list[str]
    fill: pd.Series  # reference medians, for gaps
    threshold: float

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        """Higher is more ordinary (scikit-learn's ``score_samples``)."""
        if frame.empty:
            return np.empty(0)
        values = frame[self.columns].astype(float).fillna(self.fill).to_numpy()
        return np.asarray(self.forest.score_samples(values))

    def implausible(self, frame: pd.DataFrame) -> np.ndarray:
        return self.scores(frame) < self.threshold


def outlier_columns(data: Data, frame: pd.DataFrame) -> list[str]:
    """The columns the rule looks at: numeric features that are not sensor readings."""
    return [
        c
        for c in data.feature_columns(list(frame.columns))
        if c not in data.categorical
        and c not in data.sensor_columns
        and pd.api.types.is_numeric_dtype(frame[c])
    ]


def fit_rule(reference: pd.DataFrame, columns: list[str], seed: int) -> OutlierRule:
    """The rule of this module's docstring, fitted on ``reference``."""
    fill = reference[columns].astype(float).median()
    values = reference[columns].astype(float).fillna(fill).to_numpy()
    forest = IsolationForest(n_estimators=TREES, random_state=seed).fit(values)
    threshold = np.quantile(forest.score_samples(values), RARITY)
    return OutlierRule(forest, columns, fill, float(threshold))
