"""Data checks with deepchecks: drift of the current batch, integrity of its records.

Drift compares ``current`` against ``reference``: FeatureDrift per feature (KS for
numbers, Cramer's V for categories), LabelDrift per target, MultivariateDrift (a
domain classifier). Integrity looks at ``current`` alone: deepchecks' nulls,
duplicates, mixed types and nulls, single values, string variants and outliers, plus
two checks of our own built on :mod:`co2mix.data.detect` (stuck sensors, spikes), so the
report counts exactly what the prepare stage will clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from deepchecks.core import CheckResult
from deepchecks.tabular import Dataset
from deepchecks.tabular import checks as dc

from co2mix.core.params import Check, Data, Detect
from co2mix.core.records import number
from co2mix.core.schemas import (
    OutlierSummary,
    CheckMetrics,
    CheckRows,
    CheckTruth,
    Condition,
    DriftScore,
    TruthRecord,
)
from co2mix.data import drift_thresholds, detect, scoring
from co2mix.data.outliers import RULE, fit_rule, outlier_columns
from co2mix.data.sensor_checks import SensorSpikes, StuckSensors

# ------------------------------------------------------------------ running the checks

DRIFT, INTEGRITY = "drift", "integrity"
OUTLIER_MIN_ROWS = 100  # deepchecks' outlier check refuses fewer (NotEnoughSamplesError)


@dataclass
class CheckOutcome:
    results: list[tuple[str, CheckResult]]  # (group, result) in report order
    metrics: CheckMetrics

    @property
    def check_results(self) -> list[CheckResult]:
        """Every result, in report order (what the HTML report shows)."""
        return [result for _, result in self.results]

    @property
    def failed(self) -> bool:
        return self.metrics["drift_detected"] or not self.metrics["integrity_ok"]


def _sample_rows(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    if rows == 0 or len(frame) <= rows:
        return frame
    return frame.sample(n=rows, random_state=seed).sort_index()


@dataclass(frozen=True)
class _Columns:
    features: list[str]
    categorical: list[str]
    labels: list[str]
    sensors: list[str]


def _dataset(frame: pd.DataFrame, columns: _Columns, label: str | None) -> Dataset:
    return Dataset(
        frame[columns.features + ([label] if label else [])],
        label=label,
        cat_features=columns.categorical,
        label_type="regression" if label else None,
    )


def _conditions(group: str, result: CheckResult) -> list[Condition]:
    return [
        {
            "group": group,
            "check": result.get_header(),
            "condition": condition.name,
            "passed": bool(condition.is_pass()),
            "details": condition.details,
        }
        for condition in result.conditions_results
    ]


def _drift_results(
    ref: pd.DataFrame, cur: pd.DataFrame, cols: _Columns, check: Check
) -> tuple[CheckResult, dict[str, CheckResult], CheckResult]:
    t = check.thresholds
    first = cols.labels[0]
    feature_drift = (
        dc.FeatureDrift(n_top_columns=len(cols.features), random_state=check.seed)
        .add_condition_drift_score_less_than(t.categorical_drift, t.feature_drift)
        .run(_dataset(ref, cols, first), _dataset(cur, cols, first))
    )
    label_drift = {}
    for label in cols.labels:
        result = (
            dc.LabelDrift(random_state=check.seed)
            .add_condition_drift_score_less_than(t.label_drift)
            .run(_dataset(ref, cols, label), _dataset(cur, cols, label))
        )
        result.header = f"Label Drift: {label}"
        label_drift[label] = result
    multivariate = (
        dc.MultivariateDrift(random_state=check.seed)
        .add_condition_overall_drift_value_less_than(t.multivariate_drift)
        .run(_dataset(ref, cols, None), _dataset(cur, cols, None))
    )
    return feature_drift, label_drift, multivariate


def _integrity_results(
    sampled: pd.DataFrame, whole: pd.DataFrame, cols: _Columns, check: Check, det: Detect
) -> list[CheckResult]:
    t = check.thresholds
    columns = list(dict.fromkeys(cols.features + cols.labels + cols.sensors))
    sampled_ds = Dataset(sampled[columns], cat_features=cols.categorical)
    # Stuck runs need every row in production order: our sensor checks see the whole batch.
    whole_ds = Dataset(whole[columns], cat_features=cols.categorical)
    deepchecks_integrity = [
        dc.PercentOfNulls().add_condition_percent_of_nulls_not_greater_than(t.max_null_ratio),
        dc.DataDuplicates().add_condition_ratio_less_or_equal(t.max_duplicate_ratio),
        dc.MixedNulls().add_condition_different_nulls_less_equal_to(1),
        dc.MixedDataTypes().add_condition_rare_type_ratio_not_in_range(),
        dc.IsSingleValue().add_condition_not_single_value(),
        dc.StringMismatch().add_condition_no_variants(),
        # timeout 0: the check's own limit is a guess of this machine's speed, and a
        # report must not depend on it; outlier_rows bounds the cost instead
        dc.OutlierSampleDetection(n_samples=check.outlier_rows, random_state=check.seed, timeout=0),
    ]
    if len(sampled) < OUTLIER_MIN_ROWS:  # its neighbourhoods are 1 % of the rows: too few
        deepchecks_integrity.pop()
    sensor_checks = [] if not cols.sensors else [  # no instruments: nothing to stick or spike
        StuckSensors(cols.sensors, det.stuck_min_readings).add_condition_ratio_not_greater_than(
            t.max_stuck_ratio
        ),
        SensorSpikes(
            cols.sensors, det.spike_z, det.stuck_min_readings
        ).add_condition_ratio_not_greater_than(t.max_spike_ratio),
    ]
    return [c.run(sampled_ds) for c in deepchecks_integrity] + [
        c.run(whole_ds) for c in sensor_checks
    ]


def run_checks(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    data: Data,
    check: Check,
    detect_params: Detect,
    truth: TruthRecord | None = None,
) -> CheckOutcome:
    """Run every drift and integrity check; return the results and their metrics."""
    cols = _Columns(
        features=check.features,
        categorical=data.categorical_in(check.features),
        labels=data.targets,
        sensors=data.sensor_columns,
    )
    ref = _sample_rows(reference, check.sample_rows, check.seed)
    cur = _sample_rows(current, check.sample_rows, check.seed)
    levels = [ref[c].nunique() for c in cols.categorical]
    tests = len(cols.features) + len(cols.labels) + 1  # every drift score, multivariate too
    thresholds = drift_thresholds.scaled(
        check.thresholds, (len(ref), len(cur)), tests, max(levels, default=2), check.false_alarm_rate
    )
    check = check.model_copy(update={"thresholds": thresholds})
    # MultivariateDrift ranks its domain classifier's features by permutation importance
    # on every core (joblib, n_jobs=-1): worker processes would start and import
    # scikit-learn for a sub-second job (1.2 s of the plant's check); threads compute
    # the same seeded scores
    with joblib.parallel_config(backend="threading"):
        feature_drift, label_drift, multivariate = _drift_results(ref, cur, cols, check)
    results = [(DRIFT, feature_drift)] + [(DRIFT, r) for r in label_drift.values()]
    results.append((DRIFT, multivariate))
    integrity = _integrity_results(cur, current, cols, check, detect_params)
    results += [(INTEGRITY, r) for r in integrity]

    rows: CheckRows = {
        "reference": len(reference),
        "current": len(current),
        "reference_checked": len(ref),
        "current_checked": len(cur),
    }
    metrics = _check_metrics(results, (feature_drift, label_drift, multivariate), check, cols, rows)
    metrics["new_levels"] = new_levels(reference, current, cols.categorical)
    metrics["outliers"] = implausible_rows(ref, cur, data, check.seed)
    if truth is not None:
        metrics["truth"] = _score_against_truth(metrics, current, data, detect_params, cols, truth)
    return CheckOutcome(results, metrics)


WORST_SHOWN = 5  # implausible rows named in the metrics and the report


def implausible_rows(
    ref: pd.DataFrame, cur: pd.DataFrame, data: Data, seed: int
) -> OutlierSummary:
    """The outlier rule (:mod:`co2mix.data.outliers`) on the checked rows: how many of
    each batch are implausible, and the current batch's worst, by id."""
    rule = fit_rule(ref, outlier_columns(data, ref), seed)
    id_column = data.id_column
    scores = rule.scores(cur)
    worst = np.argsort(scores, kind="stable")[:WORST_SHOWN]
    return {
        "rule": RULE,
        "threshold": number(rule.threshold),
        "reference_rows": int(rule.implausible(ref).sum()),
        "current_rows": int((scores < rule.threshold).sum()),
        "worst": [
            {"id": int(cur[id_column].iloc[i]), "score": number(scores[i])}
            for i in worst
            if scores[i] < rule.threshold
        ],
    }


def new_levels(
    reference: pd.DataFrame, current: pd.DataFrame, categorical: list[str]
) -> dict[str, dict[str, int]]:
    """Per categorical column, the levels the current batch has and the reference never
    had, with their rows (every row, not the checked sample): what no model has seen."""
    out: dict[str, dict[str, int]] = {}
    for column in categorical:
        known = set(reference[column].dropna().astype(str))
        counts = current[column].dropna().astype(str).value_counts()
        unseen = {level: int(n) for level, n in sorted(counts.items()) if level not in known}
        if unseen:
            out[column] = unseen
    return out


DriftResults = tuple[CheckResult, dict[str, CheckResult], CheckResult]


def _check_metrics(
    results: list[tuple[str, CheckResult]],
    drift: DriftResults,
    check: Check,
    cols: _Columns,
    rows: CheckRows,
) -> CheckMetrics:
    t = check.thresholds
    feature_drift, label_drift, multivariate = drift
    features: dict[str, DriftScore] = {}
    for column, entry in feature_drift.value.items():
        categorical = column in cols.categorical
        threshold = t.categorical_drift if categorical else t.feature_drift
        score = number(entry["Drift score"])
        features[column] = {
            "score": score,
            "method": entry["Method"],
            "threshold": threshold,
            "drifted": score >= threshold,
        }
    labels: dict[str, DriftScore] = {}
    for label, result in label_drift.items():
        score = number(result.value["Drift score"])
        labels[label] = {
            "score": score,
            "method": result.value["Method"],
            "threshold": t.label_drift,
            "drifted": score >= t.label_drift,
        }
    mv_score = number(multivariate.value["domain_classifier_drift_score"])
    conditions = [c for group, result in results for c in _conditions(group, result)]
    drift_failed = [c for c in conditions if c["group"] == DRIFT and not c["passed"]]
    integrity_failed = [c for c in conditions if c["group"] == INTEGRITY and not c["passed"]]
    return {
        "drift_detected": bool(drift_failed),
        "integrity_ok": not integrity_failed,
        "drifted_features": sorted(c for c, f in features.items() if f["drifted"]),
        "drifted_labels": sorted(c for c, f in labels.items() if f["drifted"]),
        "feature_drift": features,
        "label_drift": labels,
        "multivariate_drift": {
            "score": mv_score,
            "auc": number(multivariate.value["domain_classifier_auc"]),
            "threshold": t.multivariate_drift,
            "drifted": mv_score >= t.multivariate_drift,
        },
        "integrity": _integrity_values(results),
        "conditions": conditions,
        "failed_conditions": [f"{c['check']}: {c['condition']}" for c in drift_failed]
        + [f"{c['check']}: {c['condition']}" for c in integrity_failed],
        "rows": rows,
    }


def _integrity_values(results: list[tuple[str, CheckResult]]) -> dict[str, dict[str, float]]:
    values: dict[str, dict[str, float]] = {}
    for group, result in results:
        if group != INTEGRITY:
            continue
        header = result.get_header()
        if isinstance(result.value, dict) and "ratio" in result.value:
            values[header] = {"max_ratio": number(max(result.value["ratio"].values()))}
        elif header == "PercentOfNulls":
            nulls = result.value["Percent of nulls in sample"]
            values[header] = {"max_ratio": number(nulls.max())}
        elif header == "Data Duplicates":
            values[header] = {"ratio": number(result.value)}
    return values


def _score_against_truth(
    metrics: CheckMetrics,
    current: pd.DataFrame,
    data: Data,
    detect_params: Detect,
    cols: _Columns,
    truth: TruthRecord,
) -> CheckTruth:
    batch = truth["current"]
    drift = batch["drift"]
    sensors = cols.sensors
    ids = current[data.id_column]
    stuck = detect.stuck_cells(current, sensors, detect_params.stuck_min_readings)
    spikes = detect.spike_cells(current, sensors, detect_params.spike_z, exclude=stuck)
    duplicated = set(ids[detect.duplicate_rows(current)].astype(int))
    flags = {"stuck": stuck, "spike": spikes, "null": current[sensors].isna()}
    return {
        "scenario": drift["scenario"] if drift else None,
        "features": scoring.drift_score(
            metrics["drifted_features"], drift["drifted_features"] if drift else [], cols.features
        ),
        "labels": scoring.drift_score(
            metrics["drifted_labels"], drift["drifted_labels"] if drift else [], cols.labels
        ),
        "faults": scoring.fault_scores(batch, ids, duplicated, flags),
    }


