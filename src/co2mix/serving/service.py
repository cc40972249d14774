"""What the service computes, without HTTP: predictions with their explanation and
interval, the most similar training rows, and the dataset's mix advisor.

Everything here reuses the pipeline's own code: the champions' contributions are the
evaluate stage's explanations (:mod:`co2mix.modeling.explain`); the advice is the
dataset's design space (:mod:`co2mix.serving.advice`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from co2mix.core.params import CsvParams
from co2mix.modeling.explain import Explainer
from co2mix.optimize.compiled import Columns, NotCompilable, compile_final, compile_transform
from co2mix.serving.advice import Advisor
from co2mix.serving.artifacts import Artifacts, TargetModel
from co2mix.serving.design_advice import DesignAdvisor
from co2mix.serving.plant_advice import Estimate, PlantAdvisor
from co2mix.serving.schemas import json_scalar


def array_transform(pipeline: Pipeline) -> Callable[[Columns], np.ndarray]:
    """The pipeline's preprocessing on arrays: compiled where it can be, else through
    the pipeline itself on a frame (an ordinal encoder, a target transform)."""
    try:
        return compile_transform(pipeline)
    except NotCompilable:
        return lambda columns: np.asarray(pipeline[:-1].transform(pd.DataFrame(columns)))


def array_final(pipeline: Pipeline) -> Callable[[np.ndarray], np.ndarray]:
    """The pipeline's final model on prepared arrays (compiled where it can be)."""
    try:
        return compile_final(pipeline)
    except NotCompilable:
        return lambda prepared: np.asarray(pipeline[-1].predict(prepared), dtype=float)


def explainer_for(pipeline: Pipeline, lookup: bool = True) -> Explainer | None:
    """The champion's explainer, or None for a model with neither coefficients nor trees
    (a Gaussian process champion, as BOxCrete's strength can be): its predictions are
    served without contributions rather than the service refusing to start."""
    try:
        return Explainer(pipeline, lookup=lookup)
    except TypeError:
        return None


class Service:
    """The served artifacts with what every request reuses, built once at startup."""

    def __init__(self, art: Artifacts):
        self.art = art
        self.explainers = {
            t: (array_transform(m.pipeline), explainer_for(m.pipeline))
            for t, m in art.champions.items()
        }
        self.final_steps = {t: array_final(m.pipeline) for t, m in art.champions.items()}
        # the dataset's design space, one advisor for the API and the page; None: none
        self.advisor = advisor_for(art, self.estimate)
        serve = art.serve
        self.similar_rows = art.train.dropna(subset=serve.similar_numeric).reset_index(drop=True)
        scale = self.similar_rows[serve.similar_numeric].std().to_numpy(dtype=float)
        self.similar_scale = np.where(scale > 0, scale, 1.0)

    def contribution_methods(self, timeout: float = 0.0) -> dict[str, str]:
        """Per target, how exact contributions are computed now (``Explainer.method``),
        waiting up to ``timeout`` seconds for each table still being built."""
        return {
            t: "none" if explainer is None else explainer.method(timeout)
            for t, (_, explainer) in self.explainers.items()
        }

    # ------------------------------------------------------------------ predict

    def _interval(self, model: TargetModel, predicted: np.ndarray) -> list[Any]:
        band = model.interval
        if band is None or not np.isfinite(band["half_width"]):
            return [None] * len(predicted)
        width = band["half_width"]
        return [(round(float(p - width), 6), round(float(p + width), 6)) for p in predicted]

    def predict(
        self, rows: list[dict[str, Any]], contributions: str = "exact"
    ) -> list[dict[str, dict[str, Any]]]:
        """Each row's prediction per target, its per-feature contributions (summing with
        the constant to the prediction; ``exact``, ``approx`` or ``none``) and its
        conformal interval. Validated rows go through the compiled transform (arrays,
        no frame): apart from the tree explanation, a row costs microseconds."""
        columns = {f: np.array([row[f] for row in rows]) for f in self.art.features}
        out: list[dict[str, dict[str, Any]]] = [{} for _ in rows]
        for target, model in self.art.champions.items():
            transform, explainer = self.explainers[target]
            prepared = transform(columns)
            if contributions == "none" or explainer is None:  # a GP explains no feature
                predicted = self.final_steps[target](prepared)
                shares, constant = None, None
            else:
                shares, constant = explainer(prepared, approximate=contributions == "approx")
                predicted = shares.sum(axis=1) + constant
            intervals = self._interval(model, predicted)
            for i, row in enumerate(out):
                row[target] = {
                    "prediction": round(float(predicted[i]), 6),
                    "interval": intervals[i],
                    "contributions": None
                    if shares is None or explainer is None
                    else {
                        f: round(float(v), 6)
                        for f, v in zip(explainer.features, shares[i], strict=True)
                    },
                    "constant": None if constant is None else round(float(constant[i]), 6),
                }
        return out

    # ------------------------------------------------------------------ similar

    def similar(self, query: dict[str, Any], n: int) -> list[dict[str, Any]]:
        """The ``n`` training rows with the same key values, nearest on the numeric
        columns (each scaled by its standard deviation), nearest first."""
        serve, data = self.art.serve, self.art.params.data
        rows = self.similar_rows
        mask = np.ones(len(rows), dtype=bool)
        for key in serve.similar_keys:
            mask &= (rows[key].astype(str) == str(query[key])).to_numpy()
        candidates = rows[mask]
        point = np.array([query[c] for c in serve.similar_numeric], dtype=float)
        values = candidates[serve.similar_numeric].to_numpy(dtype=float)
        distance = np.sqrt((((values - point) / self.similar_scale) ** 2).sum(axis=1))
        order = np.argsort(distance, kind="stable")[:n]
        shown = [*serve.similar_keys, *serve.similar_numeric, *data.targets]
        return [
            {
                "id": json_scalar(candidates[data.id_column].iloc[i]),
                "distance": round(float(distance[i]), 6),
                "values": {c: json_scalar(candidates[c].iloc[i]) for c in shown},
            }
            for i in order
        ]

    def estimate(self, target: str, columns: Columns) -> dict[str, Any]:
        """The champion's prediction for one mix (compiled: no thread pools in a request)."""
        model = self.art.champions[target]
        transform, _ = self.explainers[target]
        predicted = self.final_steps[target](transform(columns))
        return {
            "prediction": round(float(predicted[0]), 3),
            "interval": self._interval(model, predicted)[0],
            "model": model.model,
        }


def advisor_for(art: Artifacts, estimate: Estimate) -> Advisor | None:
    """The advisor of the dataset's design space: the plant's optimizer, or a CSV
    dataset's ``design`` section; None when it declares none (or its models are absent)."""
    if art.surrogate is None:
        return None
    if art.plant is not None:
        return PlantAdvisor(art, art.plant, estimate)
    if isinstance(art.params, CsvParams) and art.design_rows is not None:
        return DesignAdvisor(art, art.params)
    return None
