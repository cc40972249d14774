"""What the service computes, without HTTP: predictions with their explanation and
interval, the most similar training rows, and mix advice for a context and a target.

Everything here reuses the pipeline's own code: the champions' contributions are the
evaluate stage's explanations (:mod:`co2mix.modeling.explain`), the advice is the
optimize layer's problem, compiled surrogate and data support.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from co2mix.modeling.explain import Explainer
from co2mix.optimize.compiled import Columns, NotCompilable, compile_final, compile_transform
from co2mix.optimize.design import DeadlineExceeded, design_mix
from co2mix.optimize.problem import candidate_columns, plant_support, starting_mixes
from co2mix.optimize.specification import cost_per_m3, specification
from co2mix.optimize.surrogates import Members
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, MIX_COLUMNS, REFERENCE_MIX, STRENGTH
from co2mix.plant_params.root import PlantParams
from co2mix.plant_params.sections import OptimizeContext
from co2mix.serving.artifacts import Artifacts, TargetModel
from co2mix.serving.design_advice import DesignAdvisor


class Unreachable(ValueError):
    """No supported mix reaches the requested strength."""

    def __init__(self, target: float, highest: float | None):
        self.target, self.highest = target, highest
        reach = (
            f"the highest a supported mix reaches is {highest:.1f} MPa"
            if highest is not None
            else "no mix within the limits and the data support was found at all"
        )
        super().__init__(
            f"strength_target_mpa: no mix within optimize.bounds, the mix limits and the "
            f"data support is predicted to reach {target:g} MPa (the mean the specified "
            f"strength needs); {reach}"
        )


class NoAdvice(LookupError):
    """Mix advice is the plant's optimizer's; a CSV dataset has none."""


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
        if art.plant is not None and art.surrogate is not None:  # mix advice: the plant's
            # the training mixes' index: the data support (when enabled) and the nearest
            # real mix of every advice, fitted once
            self.mixes = plant_support(art.train, art.plant)
            self.support = self.mixes if art.plant.optimize.support.enabled else None
            self.starts = starting_mixes(art.train, art.plant)
            self.surrogate = Members([art.surrogate[CO2]], [art.surrogate[STRENGTH]]).compiled()
        self.explainers = {
            t: (array_transform(m.pipeline), explainer_for(m.pipeline))
            for t, m in art.champions.items()
        }
        self._designing = threading.Lock()
        # a CSV dataset's design space (BOxCrete): one advisor for the API and the page
        self.designer = DesignAdvisor(art) if art.design_rows is not None else None
        self.final_steps = {t: array_final(m.pipeline) for t, m in art.champions.items()}
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
                "id": _json_scalar(candidates[data.id_column].iloc[i]),
                "distance": round(float(distance[i]), 6),
                "values": {c: _json_scalar(candidates[c].iloc[i]) for c in shown},
            }
            for i in order
        ]

    # ------------------------------------------------------------------ advise

    def _params_for(self, request: dict[str, Any]) -> PlantParams:
        params = self.art.plant
        if params is None:
            raise NoAdvice
        context = OptimizeContext(**{k: request[k] for k in OptimizeContext.model_fields})
        optimize = params.optimize.model_copy(
            update={
                "context": context,
                "strength_target_mpa": request["strength_target_mpa"],
                "exposure_class": request.get("exposure_class", params.optimize.exposure_class),
            }
        )
        return params.model_copy(update={"optimize": optimize})

    def _estimate(self, target: str, columns: dict[str, np.ndarray]) -> dict[str, Any]:
        """The champion's prediction for one mix (compiled: no thread pools in a request)."""
        model = self.art.champions[target]
        transform, _ = self.explainers[target]
        predicted = self.final_steps[target](transform(columns))
        return {
            "prediction": round(float(predicted[0]), 3),
            "interval": self._interval(model, predicted)[0],
            "model": model.model,
        }

    def advise(self, request: dict[str, Any]) -> dict[str, Any]:
        """The lowest-CO2 supported mix for the request's context and strength target."""
        start = time.perf_counter()
        params = self._params_for(request)
        spec = specification(params, self.art.refresh)
        required = spec.required_mean(spec.target_mpa)
        serve = params.serve
        # One search at a time: it is CPU-bound Python, so searches side by side only slow
        # each other down (16 at once: each 16 times slower, all past the bound). A search
        # gets the whole bound once it starts; one that cannot start within the bound is
        # refused as busy (503), so a queue never turns into a pile of late answers.
        if not self._designing.acquire(timeout=serve.advise_seconds):
            raise DeadlineExceeded
        try:
            design = design_mix(
                params,
                self.support,
                self.surrogate,
                self.starts,
                serve.advise_seed,
                serve.advise_seconds,
                required,
            )
        finally:
            self._designing.release()
        target = spec.target_mpa
        if design.mix is None:
            raise Unreachable(required, design.highest_strength)
        advised = candidate_columns(design.mix[None, :], params)
        reference_x = np.array([[REFERENCE_MIX[v] for v in DESIGNED_COLUMNS]])
        reference = candidate_columns(reference_x, params)
        co2 = self._estimate(CO2, advised)
        reference_co2 = self._estimate(CO2, reference)["prediction"]
        return {
            "strength_target_mpa": target,
            "surrogate": params.optimize.surrogate,
            "mix": {c: round(float(advised[c][0]), 1) for c in MIX_COLUMNS},
            "co2_kg_m3": co2,
            "strength_mpa": self._estimate(STRENGTH, advised),
            "reference_co2_kg_m3": reference_co2,
            "co2_cut_pct": round(100.0 * (1.0 - co2["prediction"] / reference_co2), 2),
            "specification": spec.record(),
            "cost_per_m3": None
            if (cost := cost_per_m3(advised, params.optimize.prices_per_kg)) is None
            else round(cost, 2),
            "nearest_real_mix": self._nearest(advised),
            "seconds": round(time.perf_counter() - start, 3),
        }

    def _nearest(self, advised: dict[str, np.ndarray]) -> dict[str, Any]:
        distance, label = self.mixes.nearest(advised)
        row = self.art.train.loc[label[0]]
        return {
            "id": _json_scalar(row[self.art.params.data.id_column]),
            "distance": round(float(distance[0]), 4),
            "mix": {c: round(float(row[c]), 1) for c in MIX_COLUMNS},
        }


def _json_scalar(value: Any) -> Any:
    """A numpy or pandas scalar as a JSON-ready Python value."""
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | str) else str(value)
