"""Retraining on fresh data, measured rather than assumed.

The fresh rows (the current batch, in production order) are split by time: the earlier
part is what a plant would have labelled by now (the *adaptation* rows), the latest part
is held out. Every model is refit with its trained hyperparameters (no new search) on the
reference training rows plus the adaptation rows, weighted so that the adaptation rows
carry ``refresh.recent_share`` of the total weight whatever their number: where this
month's concrete differs, it wins; where it is silent, the reference still speaks. The
reference-trained champion and the refreshed one are scored on the same held-out latest
rows, and ``refresh.retrain`` decides, from what is known before those rows (drift
flagged by check, the champion's error on the adaptation rows), which set of models the
pipeline publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import root_mean_squared_error
from sklearn.pipeline import Pipeline

from co2mix.core import paths
from co2mix.core.errors import InputError
from co2mix.core.params import Params, Refresh
from co2mix.core.records import number
from co2mix.core.schemas import (
    CheckMetrics,
    EvaluateMetrics,
    LatestScores,
    RefreshMetrics,
    RefreshTarget,
    TruthRecord,
)
from co2mix.modeling.conformal import calibrate
from co2mix.modeling.registry import unseen_levels
from co2mix.modeling.store import load_model

WEIGHT = "sample_weight"


def split_fresh(
    fresh: pd.DataFrame, time_column: str, holdout_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(adaptation rows, latest rows): the fresh rows split by production time."""
    ordered = fresh.sort_values(time_column, kind="stable").reset_index(drop=True)
    cut = len(ordered) - round(holdout_fraction * len(ordered))
    return ordered.iloc[:cut], ordered.iloc[cut:]


def refit_rows(
    train: pd.DataFrame, adaptation: pd.DataFrame, target: str, recent_share: float
) -> pd.DataFrame:
    """The refit's rows for ``target``: reference training rows (weight 1) then the
    adaptation rows, each weighing what makes them ``recent_share`` of the total (a share,
    not a per-row weight, so that a week of fresh rows counts as much as a year of them).
    Rows without the target are left out before the weights are set: the refresh stage and
    optimize's monotone refit build the same rows here."""
    train, adaptation = train.dropna(subset=[target]), adaptation.dropna(subset=[target])
    weight = recent_share / (1.0 - recent_share) * len(train) / max(len(adaptation), 1)
    return pd.concat(
        [train.assign(**{WEIGHT: 1.0}), adaptation.assign(**{WEIGHT: weight})],
        ignore_index=True,
    )


def refit(pipeline: Pipeline, rows: pd.DataFrame, features: list[str], target: str) -> Pipeline:
    """``pipeline``'s configuration fitted again on ``rows``, weighted by their weights."""
    last = pipeline.steps[-1][0]
    fitted = clone(pipeline)
    fitted.fit(rows[features], rows[target], **{f"{last}__{WEIGHT}": rows[WEIGHT].to_numpy()})
    return fitted


def latest_scores(actual: pd.Series, predicted: np.ndarray, sigma: float | None) -> LatestScores:
    rmse = root_mean_squared_error(actual, predicted)
    scores: LatestScores = {
        "rmse": number(rmse),
        "bias": number(float(np.mean(actual.to_numpy() - predicted))),
    }
    if sigma:
        scores["rmse_over_sigma"] = number(rmse / sigma)
    return scores


@dataclass(frozen=True)
class Evidence:
    """What is known when the decision is made, before the latest rows are labelled."""

    drift_detected: bool | None  # check's verdict; None without check metrics
    degradation: float | None  # champion's RMSE on the adaptation rows / its test RMSE
    unseen: str = ""  # adaptation rows' levels the champion never saw ("" when none)


def decide(policy: Refresh, evidence: Evidence) -> tuple[bool, str]:
    """(publish the refreshed models?, why) under ``refresh.retrain``."""
    if policy.retrain == "never":
        return False, "refresh.retrain is never"
    if policy.retrain == "always":
        return True, "refresh.retrain is always"
    if evidence.unseen:  # rows the reference models cannot score at all: either policy
        return True, f"the champion cannot score adaptation rows: {evidence.unseen}"
    if policy.retrain == "on_drift":
        if evidence.drift_detected is None:
            return False, "on_drift, but there is no check verdict"
        flagged = "check flagged drift" if evidence.drift_detected else "check flagged no drift"
        return evidence.drift_detected, flagged
    if evidence.degradation is None:
        return False, "on_degradation, but the champion has no error on adaptation rows"
    ratio, limit = evidence.degradation, policy.degradation_threshold
    if ratio > limit:
        return (
            True,
            f"champion's RMSE on the adaptation rows is {ratio:.3f} x its test RMSE > {limit:g}",
        )
    return (
        False,
        f"champion's RMSE on the adaptation rows is {ratio:.3f} x its test RMSE <= {limit:g}",
    )


@dataclass(frozen=True)
class TargetData:
    """One target's view of the rows: features, noise floor, the champion's test RMSE."""

    target: str
    features: list[str]
    sigma: float | None
    champion: str
    test_rmse: float


def refresh_target(
    task: TargetData,
    pipelines: dict[str, Pipeline],
    train: pd.DataFrame,
    fresh: tuple[pd.DataFrame, pd.DataFrame],
    policy: Refresh,
    drift_detected: bool | None,
) -> tuple[RefreshTarget, dict[str, Pipeline]]:
    """The decision record for ``task.target`` and the models to publish. The champion is
    refit to be measured; the other models only when the refreshed set is published."""
    adaptation, latest = (f.dropna(subset=[task.target]) for f in fresh)
    record: RefreshTarget = {
        "champion": task.champion,
        "policy": policy.retrain,
        "decision": "reference",
        "reason": "",
        "adaptation_rows": len(adaptation),
        "latest_rows": len(latest),
    }
    if min(len(adaptation), len(latest)) < policy.min_rows:
        record["reason"] = f"fewer than refresh.min_rows = {policy.min_rows} fresh rows per part"
        return record, pipelines
    champion = pipelines[task.champion]
    known, unseen = unseen_levels(champion, adaptation[task.features])
    adapted = adaptation[known]
    degradation = root_mean_squared_error(
        adapted[task.target], champion.predict(adapted[task.features])
    )
    if task.test_rmse > 0:
        record["degradation_on_adaptation"] = number(degradation / task.test_rmse)
    rows = refit_rows(train, adaptation, task.target, policy.recent_share)
    refreshed = {task.champion: refit(champion, rows, task.features, task.target)}
    predicted = {}
    for variant, models in (("reference", pipelines), ("refreshed", refreshed)):
        scored, reason = unseen_levels(models[task.champion], latest[task.features])
        predicted[variant] = (scored, models[task.champion].predict(latest[task.features][scored]))
        scores = latest_scores(latest[task.target][scored], predicted[variant][1], task.sigma)
        if not scored.all():
            scores["not_scored"] = {"rows": int((~scored).sum()), "reason": reason}
        record[variant] = scores  # type: ignore[literal-required]
    evidence = Evidence(drift_detected, record.get("degradation_on_adaptation"), unseen)
    publish, record["reason"] = decide(policy, evidence)
    variant = "refreshed" if publish else "reference"
    scored, values = predicted[variant]
    record["interval"] = calibrate(latest[task.target][scored], values, policy.interval_level)
    if not publish:
        return record, pipelines
    record["decision"] = "refreshed"
    for name, pipeline in pipelines.items():
        if name not in refreshed:
            refreshed[name] = refit(pipeline, rows, task.features, task.target)
    return record, {name: refreshed[name] for name in pipelines}


@dataclass
class Published:
    metrics: RefreshMetrics
    models: dict[str, dict[str, Pipeline]]  # by target, then model name
    champions: dict[str, str]  # by target


def refresh_all(
    params: Params,
    train: pd.DataFrame,
    fresh: pd.DataFrame,
    evaluation: EvaluateMetrics | None,
    check: CheckMetrics | None,
    truth: TruthRecord | None,
) -> Published:
    """Every target of ``data.targets``: decide, and the models to publish."""
    if evaluation is None:
        raise InputError(f"{paths.EVALUATE_METRICS}: not found (run: dvc repro evaluate)")
    parts = split_fresh(fresh, params.data.order_column, params.refresh.holdout_fraction)
    drift = check["drift_detected"] if check else None
    sigmas = truth["noise_sigma"] if truth else {}
    published = Published({}, {}, {})
    for target in params.data.targets:
        if target not in evaluation:
            raise InputError(f"{paths.EVALUATE_METRICS}: no target {target!r} (run: dvc repro)")
        judged = evaluation[target]
        champion = judged["champion"]
        task = TargetData(
            target,
            params.train.features[target],
            sigmas.get(target),
            champion,
            judged["models"][champion]["rmse"],
        )
        failed = judged.get("failed", {})  # never published (evaluate says why)
        pipelines = {
            m: load_model(target, m, params.train.features[target])
            for m in params.train.models
            if m not in failed
        }
        record, models = refresh_target(task, pipelines, train, parts, params.refresh, drift)
        published.metrics[target] = record
        published.models[target] = models
        published.champions[target] = champion
    return published


def published_rows(
    params: Params, train: pd.DataFrame, fresh: pd.DataFrame, metrics: RefreshMetrics | None
) -> dict[str, pd.DataFrame]:
    """The rows each target's published models learnt from: the reference training rows,
    plus the weighted adaptation rows where the refreshed models are published (what a
    model refit downstream, like optimize's monotone remedy, must learn from too)."""
    adaptation, _ = split_fresh(fresh, params.data.order_column, params.refresh.holdout_fraction)
    rows = {}
    for target in params.data.targets:
        record = (metrics or {}).get(target)
        refreshed = record is not None and record["decision"] == "refreshed"
        rows[target] = (
            refit_rows(train, adaptation, target, params.refresh.recent_share)
            if refreshed
            else train
        )
    return rows
