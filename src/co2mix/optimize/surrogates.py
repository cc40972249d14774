"""Surrogates: the trained models as predictors of (CO2, strength), plus two remedies.

- a registry model name (``linear``, ``poly2``, ``xgboost``...): that model for both targets;
- ``xgboost_monotone``: the tuned XGBoost refit with physics sign constraints
  (``optimize.monotone``), so an optimizer cannot buy strength by adding water;
- ``ensemble``: every trained model; CO2 is the members' mean and strength their mean
  minus ``optimize.ensemble_penalty_std`` standard deviations, so disagreement costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import root_mean_squared_error
from sklearn.pipeline import Pipeline

from co2mix.core.errors import ParamsError
from co2mix.modeling.models import options_of
from co2mix.modeling.refresh import WEIGHT
from co2mix.modeling.store import load_models
from co2mix.modeling.train import side_by_side
from co2mix.modeling.xgboost_options import XGBoostOptions
from co2mix.optimize.compiled import ArrayModel, Columns, compile_pipeline
from co2mix.optimize.plant_space import Predictor
from co2mix.physics.truth import CO2, STRENGTH
from co2mix.plant_params.root import PlantParams

REMEDIES = ("xgboost_monotone", "ensemble")  # built here from the trained models


@dataclass(frozen=True)
class Surrogate:
    name: str
    predict: Predictor
    strength_rmse: float  # on the test rows: the unit of the safety margin


def check_setup(params: PlantParams) -> None:
    """The optimize stage's rules across sections, checked when it starts (not when params
    load: ``dvc exp run -S train.models=[linear]`` must still train the other stages)."""
    opt, models = params.optimize, params.train.models
    for target in (CO2, STRENGTH):
        if target not in params.data.targets:
            raise ParamsError(f"params.yaml: optimize needs target {target!r} in data.targets")
    unknown = [s for s in opt.surrogates if s not in [*models, *REMEDIES]]
    if unknown:
        raise ParamsError(
            f"params.yaml: optimize.surrogates {unknown} are neither in train.models "
            f"{models} nor remedies {list(REMEDIES)}"
        )
    if "xgboost_monotone" in opt.surrogates and "xgboost" not in models:
        raise ParamsError("params.yaml: optimize.surrogates: xgboost_monotone needs xgboost")
    supplier = opt.context.cement_supplier
    if supplier not in params.generate.suppliers:
        raise ParamsError(
            f"params.yaml: optimize.context.cement_supplier {supplier!r} is not one of "
            f"generate.suppliers {sorted(params.generate.suppliers)}"
        )
    for target, constraints in opt.monotone.items():
        if target not in params.data.targets:
            raise ParamsError(
                f"params.yaml: optimize.monotone.{target}: not a target {params.data.targets}"
            )
        extra = sorted(set(constraints) - set(params.train.features[target]))
        if extra:
            raise ParamsError(
                f"params.yaml: optimize.monotone.{target}: {extra} are not in "
                f"train.features.{target}"
            )


def load_pipelines(params: PlantParams) -> dict[str, dict[str, Pipeline]]:
    """Every published pipeline of both targets, by target then model name."""
    return load_models(params.train.features, [CO2, STRENGTH], params.train.models)


def monotone_refit(
    pipeline: Pipeline, signs: Mapping[str, int], rows: pd.DataFrame, target: str, n_jobs: int
) -> Pipeline:
    """The tuned XGBoost pipeline refit on the same rows with monotone constraints (and
    their weights, where the published model is a refreshed one)."""
    prep = pipeline.named_steps["prep"]
    names = list(prep.get_feature_names_out())
    constraints = tuple(int(signs.get(name, 0)) for name in names)
    refit = clone(pipeline).set_params(
        model__monotone_constraints=constraints, model__n_jobs=n_jobs
    )
    features = list(prep.feature_names_in_)
    rows = rows.dropna(subset=[target])
    if WEIGHT in rows:
        return refit.fit(rows[features], rows[target], model__sample_weight=rows[WEIGHT])
    return refit.fit(rows[features], rows[target])


def pipeline_model(pipeline: Pipeline) -> ArrayModel:
    """``pipeline.predict`` on a frame of the candidates: the path the compiled function
    replaces, kept to check it against and to measure it by (``bench/``)."""
    features = list(pipeline.named_steps["prep"].feature_names_in_)
    return lambda columns: pipeline.predict(pd.DataFrame({f: columns[f] for f in features}))


def combine(co2: list[ArrayModel], strength: list[ArrayModel], penalty_std: float) -> Predictor:
    """Mean CO2 of ``co2``; mean strength of ``strength`` minus ``penalty_std`` x their
    spread. One model per target is the plain surrogate (spread 0)."""

    def predict(columns: Columns) -> tuple[np.ndarray, np.ndarray]:
        co2_all = np.stack([model(columns) for model in co2])
        strength_all = np.stack([model(columns) for model in strength])
        spread = strength_all.std(axis=0)
        return co2_all.mean(axis=0), strength_all.mean(axis=0) - penalty_std * spread

    return predict


@dataclass(frozen=True)
class Members:
    """The fitted pipelines behind a surrogate, and its ensemble penalty."""

    co2: list[Pipeline]
    strength: list[Pipeline]
    penalty_std: float = 0.0

    def compiled(self) -> Predictor:
        return CompiledMembers(self)

    def through_pipelines(self) -> Predictor:
        models = [pipeline_model(p) for p in self.co2], [pipeline_model(p) for p in self.strength]
        return combine(*models, self.penalty_std)


class CompiledMembers:
    """The members' compiled predictor. It pickles as the fitted pipelines and compiles
    them again when unpickled (the compiled functions are closures, which do not pickle),
    so a worker process of the optimizer runs gets the same arithmetic."""

    def __init__(self, members: Members):
        self.members = members
        self._predict = combine(
            [compile_pipeline(p) for p in members.co2],
            [compile_pipeline(p) for p in members.strength],
            members.penalty_std,
        )

    def __call__(self, columns: Columns) -> tuple[np.ndarray, np.ndarray]:
        return self._predict(columns)

    def __getstate__(self) -> dict[str, Members]:
        return {"members": self.members}

    def __setstate__(self, state: dict[str, Members]) -> None:
        self.__init__(state["members"])  # type: ignore[misc]


def surrogate_members(
    params: PlantParams,
    pipelines: dict[str, dict[str, Pipeline]],
    rows: Mapping[str, pd.DataFrame],
    names: list[str] | None = None,
) -> dict[str, Members]:
    """The pipelines of each name in ``names`` (default ``optimize.surrogates``; remedies
    built here, refit on ``rows``, the rows each target's published models learnt from)."""
    opt = params.optimize
    members: dict[str, Members] = {}
    for name in opt.surrogates if names is None else names:
        if name == "ensemble":
            members[name] = Members(
                list(pipelines[CO2].values()),
                list(pipelines[STRENGTH].values()),
                opt.ensemble_penalty_std,
            )
        elif name == "xgboost_monotone":
            refit = monotone_refits(params, pipelines, rows)
            members[name] = Members([refit[CO2]], [refit[STRENGTH]])
        else:
            members[name] = Members([pipelines[CO2][name]], [pipelines[STRENGTH][name]])
    return members


def monotone_refits(
    params: PlantParams,
    pipelines: dict[str, dict[str, Pipeline]],
    rows: Mapping[str, pd.DataFrame],
) -> dict[str, Pipeline]:
    """Both targets' monotone refits side by side on ``train.jobs`` threads, each on the
    XGBoost threads a train cell gives a fit, as the train cell runs them (one after the
    other on two XGBoost threads they took 1.5 s instead of 1.0 s; XGBoost's threads do
    not change its results)."""
    n_jobs = options_of(params.train, "xgboost", XGBoostOptions).n_jobs
    signs = params.optimize.monotone

    def refit(target: str) -> Pipeline:
        pipeline = pipelines[target]["xgboost"]
        return monotone_refit(pipeline, signs.get(target, {}), rows[target], target, n_jobs)

    return side_by_side(refit, [CO2, STRENGTH], min(params.train.jobs, 2), "monotone")


def build_surrogates(
    params: PlantParams,
    pipelines: dict[str, dict[str, Pipeline]],
    rows: Mapping[str, pd.DataFrame],
    test: pd.DataFrame,
    names: list[str] | None = None,
) -> dict[str, Surrogate]:
    """Each name in ``names`` (default ``optimize.surrogates``) as a compiled predictor
    with its test strength RMSE (the unit of the safety margin)."""
    scored = test.dropna(subset=[STRENGTH])
    surrogates = {}
    for name, members in surrogate_members(params, pipelines, rows, names).items():
        predict = members.compiled()
        rmse = root_mean_squared_error(scored[STRENGTH], predict(scored)[1])
        surrogates[name] = Surrogate(name, predict, round(float(rmse), 6))
    return surrogates
