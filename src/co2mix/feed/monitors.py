"""Monitors that watch the plant one record at a time (the live feed's).

- :class:`Cusum`: Page's two-sided CUSUM on standardized residuals (lab strength minus
  the champion's prediction, over the champion's residual sd). ``S+ = max(0, S+ + z - k)``
  and ``S- = max(0, S- - z - k)``; an alarm when either passes ``h``, then both restart.
  With ``k`` = 0.5 it is tuned to a shift of one sd; on N(0, 1) residuals ``h`` = 10
  would give about 130,000 results between false alarms (Siegmund's approximation) and
  detect a 1-sd shift after about 22; the champion's real residuals are heavier-tailed
  and autocorrelated (the weather), which the consumer's default was measured against.
  A shift that persists raises one alarm, not one every few results.
- :class:`RollingDrift`: the check stage's drift statistics (Kolmogorov-Smirnov per
  numeric feature, Cramer's V per categorical one) on the latest ``window`` batches
  against the reference rows of the same time of year (within ``season_days`` of a day
  the window covers: five weeks of January are not "drift" from a whole year), every
  ``every`` batches; thresholds are the check's, raised to
  the null's critical value for these sample sizes at ``false_alarm_rate`` per
  evaluation, shared by the features (:mod:`co2mix.data.drift_thresholds`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from co2mix.data.drift_thresholds import cramers_v_critical, ks_critical


@dataclass(frozen=True)
class Alarm:
    monitor: str
    statistic: str
    value: float
    threshold: float


@dataclass
class Cusum:
    k: float = 0.5
    h: float = 10.0
    high: float = 0.0
    low: float = 0.0
    seen: int = 0
    latched: str | None = None  # the side in alarm: no second alarm until its sum is back at 0

    def update(self, z: float) -> Alarm | None:
        """One standardized residual; an alarm when a sum passes ``h``. A shift that
        persists is one alarm (the side stays latched until its sum returns to zero),
        not one every few results."""
        self.seen += 1
        self.high = max(0.0, self.high + z - self.k)
        self.low = max(0.0, self.low - z - self.k)
        sums = {"up": self.high, "down": self.low}
        if self.latched is not None and sums[self.latched] == 0.0:
            self.latched = None
        side = max(sums, key=lambda s: sums[s])
        if sums[side] <= self.h or self.latched == side:
            return None
        self.latched = side
        return Alarm("strength residual CUSUM", f"S {side}", round(sums[side], 4), self.h)


def ks_statistic(reference_sorted: np.ndarray, window: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic (``reference_sorted`` sorted once)."""
    window = np.sort(window)
    points = np.concatenate([reference_sorted, window])
    ref_cdf = np.searchsorted(reference_sorted, points, side="right") / len(reference_sorted)
    win_cdf = np.searchsorted(window, points, side="right") / len(window)
    return float(np.max(np.abs(ref_cdf - win_cdf)))


def cramers_v(reference_counts: pd.Series, window: pd.Series) -> float:
    """Cramer's V of the 2 x k table reference vs window (uncorrected)."""
    counts = window.value_counts()
    levels = reference_counts.index.union(counts.index)
    table = np.vstack(
        [reference_counts.reindex(levels, fill_value=0), counts.reindex(levels, fill_value=0)]
    ).astype(float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.nansum(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0))
    return float(np.sqrt(chi2 / table.sum()))


@dataclass
class RollingDrift:
    reference: pd.DataFrame
    time_column: str
    numeric: list[str]
    categorical: list[str]
    feature_threshold: float  # check.thresholds.feature_drift
    categorical_threshold: float  # check.thresholds.categorical_drift
    window: int = 500
    every: int = 100
    false_alarm_rate: float = 0.001
    season_days: int = 7
    rows: deque[dict[str, Any]] = field(default_factory=deque)
    since_last: int = 0
    drifted: frozenset[str] = frozenset()  # features drifting at the last evaluation

    def __post_init__(self) -> None:
        self.day_of_year = pd.to_datetime(self.reference[self.time_column]).dt.dayofyear.to_numpy()
        tests = max(len(self.numeric) + len(self.categorical), 1)
        self.alpha = self.false_alarm_rate / tests

    def thresholds(self, n: int) -> dict[str, float]:
        """Each feature's threshold for ``n`` reference rows against the window."""
        out = {
            c: max(self.feature_threshold, ks_critical(n, self.window, self.alpha))
            for c in self.numeric
        }
        for c in self.categorical:
            levels = int(self.reference[c].nunique()) + 1  # room for one new level
            critical = cramers_v_critical(n, self.window, levels, self.alpha)
            out[c] = max(self.categorical_threshold, critical)
        return out

    def same_season(self, times: pd.Series) -> pd.DataFrame:
        """The reference rows within ``season_days`` of a day of the year in ``times``."""
        days = np.unique(pd.to_datetime(times).dt.dayofyear.to_numpy())
        near = (days[:, None] + np.arange(-self.season_days, self.season_days + 1)) % 366
        near = np.where(near == 0, 366, near)
        return self.reference[np.isin(self.day_of_year, np.unique(near))]

    def update(self, row: dict[str, Any]) -> list[Alarm]:
        """One batch; every ``every`` batches (once ``window`` are in) the features that
        newly drift, one alarm each (a feature drifting on stays one alarm)."""
        self.rows.append(row)
        if len(self.rows) > self.window:
            self.rows.popleft()
        self.since_last += 1
        if len(self.rows) < self.window or self.since_last < self.every:
            return []
        self.since_last = 0
        window = pd.DataFrame(list(self.rows))
        reference = self.same_season(window[self.time_column])
        if len(reference) < 2:
            return []
        thresholds = self.thresholds(len(reference))
        scores = scores_against(reference, window, self.numeric, self.categorical)
        now = frozenset(c for c, s in scores.items() if s > thresholds[c])
        alarms = [
            Alarm(f"drift of {c}", "KS" if c in self.numeric else "Cramer's V",
                  round(scores[c], 4), round(thresholds[c], 4))
            for c in sorted(now - self.drifted)
        ]  # fmt: skip
        self.drifted = now
        return alarms


def scores_against(
    reference: pd.DataFrame, window: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> dict[str, float]:
    """The drift statistic of each feature: the window against the reference."""
    out = {
        c: ks_statistic(np.sort(reference[c].dropna().to_numpy(float)), window[c].to_numpy(float))
        for c in numeric
    }
    for c in categorical:
        out[c] = cramers_v(reference[c].astype(str).value_counts(), window[c].astype(str))
    return out
