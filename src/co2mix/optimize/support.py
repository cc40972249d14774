"""Where a surrogate may be trusted: the region of the training mixes (any dataset's
design variables), so an optimizer does not exploit a model far from its data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from co2mix.core.params_base import Support
from co2mix.optimize.compiled import Columns


@dataclass(frozen=True)
class DataSupport:
    """The region where training mixes exist: a quantile box and a nearest-neighbour radius.

    Distances are measured on the standardized ``columns`` (the plant's: its designed
    masses plus fine aggregate; a CSV design's: its variables).
    The radius is a quantile of the training mixes' distances to their own nearest
    other training mix, so a candidate is "supported" when it is no lonelier than
    almost every real mix.
    """

    columns: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    radius: float
    index: cKDTree
    labels: np.ndarray  # the training rows' index labels, in the index's order

    @classmethod
    def from_rows(
        cls, rows: pd.DataFrame, columns: tuple[str, ...], support: Support, unique: bool = False
    ) -> DataSupport:
        """The support of ``rows`` on ``columns``; ``unique``: each distinct mix once (a
        mix tested at several ages is one point, or its own nearest neighbour would be
        itself at distance 0 and the radius would collapse)."""
        mixes = rows[list(columns)].dropna()
        if unique:
            mixes = mixes.drop_duplicates()
        if support.fit_rows and len(mixes) > support.fit_rows:
            mixes = mixes.sample(support.fit_rows, random_state=0)
        values = mixes.to_numpy(dtype=float)
        q = support.box_quantile
        mean, scale = values.mean(axis=0), values.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        standardized = (values - mean) / scale
        index = cKDTree(standardized)
        own, _ = index.query(standardized, k=2)  # column 0 is the point itself
        return cls(
            columns=columns,
            low=np.quantile(values, q, axis=0),
            high=np.quantile(values, 1.0 - q, axis=0),
            mean=mean,
            scale=scale,
            radius=float(np.quantile(own[:, 1], support.neighbour_quantile)),
            index=index,
            labels=mixes.index.to_numpy(),
        )

    def nearest(self, columns: Columns) -> tuple[np.ndarray, np.ndarray]:
        """(standardized distance, index label) of each candidate's nearest training mix."""
        values = np.column_stack([np.asarray(columns[c], dtype=float) for c in self.columns])
        distance, position = self.index.query((values - self.mean) / self.scale, k=1)
        return distance, self.labels[position]

    def violation(self, columns: Columns) -> np.ndarray:
        """How far outside the support each candidate is, in standard deviations (0 = inside)."""
        values = np.column_stack([np.asarray(columns[c], dtype=float) for c in self.columns])
        outside = np.maximum(self.low - values, 0.0) + np.maximum(values - self.high, 0.0)
        box = (outside / self.scale).sum(axis=1)
        distance, _ = self.index.query((values - self.mean) / self.scale, k=1)
        return box + np.maximum(distance - self.radius, 0.0)
