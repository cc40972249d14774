"""Exact TreeSHAP by table look-up, for serving one row in microseconds instead of ms.

XGBoost's ``pred_contribs`` runs path-dependent TreeSHAP per row and tree: about 2 ms a
row for the plant's 890-tree strength champion, most of a predict request. But a tree's
SHAP values for a row depend on nothing but the row's side of each of the tree's splits,
that is, on which interval between the tree's own thresholds each of its features falls
in. A tree splitting on features with k1, k2, ... distinct thresholds has
(k1 + 1)(k2 + 1)... such cells, and every row in a cell gets the same values. So each
tree's values are computed once per cell (XGBoost's own TreeSHAP, on one representative
point per cell), and a row's contributions are a sum of look-ups: for every (tree,
feature, threshold) "is the value at or above it" (XGBoost goes right when
``x >= threshold`` in float32), weighted into a cell number per tree, then one table row
per tree. The result is XGBoost's exact TreeSHAP up to float32 summation order (tested
against ``pred_contribs``). The table is built only when it is small enough
(``max_cells``); otherwise the caller keeps ``pred_contribs``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import xgboost

MAX_CELLS = 2_000_000  # table rows of (features + 1) float32: 96 MB at 11 features


@dataclass
class _Tree:
    features: np.ndarray  # distinct split features of the tree
    thresholds: list[np.ndarray]  # per feature, its distinct thresholds, ascending (float32)

    @property
    def cells(self) -> int:
        return int(np.prod([len(t) + 1 for t in self.thresholds]))

    def representatives(self, width: int) -> np.ndarray:
        """One point per cell (cell number = mixed radix over the features' intervals)."""
        axes = []
        for thresholds in self.thresholds:
            below = np.nextafter(thresholds[0], np.float32(-np.inf), dtype=np.float32)
            axes.append(np.concatenate([[below], thresholds]).astype(np.float32))
        grid = np.meshgrid(*axes, indexing="ij")
        points = np.zeros((self.cells, width), dtype=np.float32)
        for feature, values in zip(self.features, grid, strict=True):
            points[:, feature] = values.ravel()
        return points


def _trees(booster: xgboost.Booster) -> list[_Tree]:
    model = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]
    trees = []
    for tree in model["trees"]:
        inner = np.asarray(tree["left_children"]) != -1
        features = np.asarray(tree["split_indices"])[inner]
        conditions = np.asarray(tree["split_conditions"], dtype=np.float32)[inner]
        distinct = np.unique(features)
        trees.append(_Tree(distinct, [np.unique(conditions[features == f]) for f in distinct]))
    return trees


def table_cells(booster: xgboost.Booster) -> int:
    """The rows a look-up table of ``booster`` would have (one per tree cell)."""
    return sum(tree.cells for tree in _trees(booster))


class TableTreeShap:
    """``booster``'s exact TreeSHAP as look-ups; ``None`` from :meth:`build` when the
    table would be too big or the model is not a plain tree ensemble."""

    def __init__(self, booster: xgboost.Booster, trees: list[_Tree]):
        width = booster.num_features()
        self.width = width
        slot_feature, slot_threshold, slot_weight, slot_tree = [], [], [], []
        tables, offsets, total = [], [], 0
        for index, tree in enumerate(trees):
            if not len(tree.features):  # a single leaf: only its value, in the constant
                tables.append(self._tree_values(booster, index, np.zeros((1, width))))
                offsets.append(total)
                total += 1
                continue
            radix = np.cumprod([1] + [len(t) + 1 for t in tree.thresholds[::-1]])[::-1][1:]
            for feature, thresholds, weight in zip(
                tree.features, tree.thresholds, radix, strict=True
            ):
                slot_feature += [feature] * len(thresholds)
                slot_threshold += list(thresholds)
                slot_weight += [weight] * len(thresholds)
                slot_tree += [index] * len(thresholds)
            tables.append(self._tree_values(booster, index, tree.representatives(width)))
            offsets.append(total)
            total += tree.cells
        self.table = np.concatenate(tables).astype(np.float32)
        self.offsets = np.asarray(offsets)
        self.slot_feature = np.asarray(slot_feature, dtype=np.intp)
        self.slot_threshold = np.asarray(slot_threshold, dtype=np.float32)
        self.slot_weight = np.asarray(slot_weight, dtype=np.int64)
        self.slot_tree = np.asarray(slot_tree, dtype=np.intp)
        self.trees = len(trees)
        # the constant (expected value) is every row's: the whole model's, once, rather
        # than 890 single-tree constants that each carry the base score in float32
        self.table[:, -1] = 0.0
        whole = booster.predict(
            xgboost.DMatrix(np.zeros((1, width)), nthread=1), pred_contribs=True
        )
        self.constant = float(whole[0, -1])

    @staticmethod
    def _tree_values(booster: xgboost.Booster, index: int, points: np.ndarray) -> np.ndarray:
        matrix = xgboost.DMatrix(points, nthread=1)
        return booster[index : index + 1].predict(matrix, pred_contribs=True)

    @classmethod
    def build(cls, booster: xgboost.Booster, max_cells: int = MAX_CELLS) -> TableTreeShap | None:
        config = json.loads(booster.save_config())["learner"]
        if config["gradient_booster"]["name"] != "gbtree":
            return None
        trees = _trees(booster)
        if sum(t.cells for t in trees) > max_cells:
            return None
        return cls(booster, trees)

    def __call__(self, prepared: np.ndarray) -> np.ndarray:
        """Rows x (features + 1) contributions, the constant last, as ``pred_contribs``."""
        x = np.asarray(prepared, dtype=np.float32)
        if np.isnan(x).any():
            raise ValueError("TableTreeShap: a missing value takes XGBoost's default branch")
        above = x[:, self.slot_feature] >= self.slot_threshold  # rows x slots
        cells = np.zeros((len(x), self.trees), dtype=np.int64)
        for row in range(len(x)):
            cells[row] = np.bincount(
                self.slot_tree, weights=above[row] * self.slot_weight, minlength=self.trees
            )
        values = self.table[self.offsets + cells].sum(axis=1, dtype=np.float64)
        values[:, -1] = self.constant
        return values
