"""Data checks with deepchecks: drift of the current batch, integrity of its records.

Drift compares ``current`` against ``reference``: FeatureDrift per feature (KS for
numbers, Cramer's V for categories), LabelDrift per target, MultivariateDrift (a
domain classifier). Integrity looks at ``current`` alone: deepchecks' nulls,
duplicates, mixed types and nulls, single values, string variants and outliers, plus
two checks of our own built on :mod:`co2mix.detect` (stuck sensors, spikes), so the
report counts exactly what the prepare stage will clean.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

# deepchecks 0.19 calls scikit-learn APIs that the pinned 1.5 deprecates, at import time
# and at run time; the warnings say nothing about the data, so keep them off the console.
for _module in ("sklearn", "deepchecks"):
    warnings.filterwarnings("ignore", category=FutureWarning, module=_module)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=_module)

from deepchecks.core import CheckResult, ConditionCategory, ConditionResult, SuiteResult  # noqa: E402
from deepchecks.tabular import Dataset, SingleDatasetCheck  # noqa: E402
from deepchecks.tabular import checks as dc  # noqa: E402

from co2mix import detect, truth_score  # noqa: E402
from co2mix.params import Check, Data, Detect  # noqa: E402

# ------------------------------------------------------------------ our own checks


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


# ------------------------------------------------------------------ running the checks

DRIFT, INTEGRITY = "drift", "integrity"


@dataclass
class CheckOutcome:
    results: list[tuple[str, CheckResult]]  # (group, result) in report order
    metrics: dict[str, Any]

    @property
    def failed(self) -> bool:
        return self.metrics["drift_detected"] or not self.metrics["integrity_ok"]


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    if rows == 0 or len(frame) <= rows:
        return frame
    return frame.sample(n=rows, random_state=seed).sort_index()


@dataclass(frozen=True)
class _Columns:
    features: list[str]
    categorical: list[str]
    labels: list[str]


def _dataset(frame: pd.DataFrame, columns: _Columns, label: str | None) -> Dataset:
    return Dataset(
        frame[columns.features + ([label] if label else [])],
        label=label,
        cat_features=columns.categorical,
        label_type="regression" if label else None,
    )


def _round(value: Any) -> Any:
    return round(float(value), 6)


def _conditions(group: str, result: CheckResult) -> list[dict[str, Any]]:
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
    columns = list(dict.fromkeys(cols.features + cols.labels + det.columns))
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
        dc.OutlierSampleDetection(random_state=check.seed),
    ]
    sensor_checks = [
        StuckSensors(det.columns, det.stuck_min_readings).add_condition_ratio_not_greater_than(
            t.max_stuck_ratio
        ),
        SensorSpikes(
            det.columns, det.spike_z, det.stuck_min_readings
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
    truth: dict[str, Any] | None = None,
) -> CheckOutcome:
    """Run every drift and integrity check; return the results and their metrics."""
    cols = _Columns(
        features=check.features,
        categorical=[c for c in check.features if c in data.categorical],
        labels=data.targets,
    )
    ref = _sample(reference, check.sample_rows, check.seed)
    cur = _sample(current, check.sample_rows, check.seed)
    feature_drift, label_drift, multivariate = _drift_results(ref, cur, cols, check)
    results = [(DRIFT, feature_drift)] + [(DRIFT, r) for r in label_drift.values()]
    results.append((DRIFT, multivariate))
    integrity = _integrity_results(cur, current, cols, check, detect_params)
    results += [(INTEGRITY, r) for r in integrity]

    metrics = _metrics(results, feature_drift, label_drift, multivariate, check, cols)
    metrics["rows"] = {
        "reference": len(reference),
        "current": len(current),
        "reference_checked": len(ref),
        "current_checked": len(cur),
    }
    if truth is not None:
        metrics["truth"] = _score_against_truth(metrics, current, data, detect_params, cols, truth)
    return CheckOutcome(results, metrics)


def _metrics(
    results: list[tuple[str, CheckResult]],
    feature_drift: CheckResult,
    label_drift: dict[str, CheckResult],
    multivariate: CheckResult,
    check: Check,
    cols: _Columns,
) -> dict[str, Any]:
    t = check.thresholds
    features = {}
    for column, entry in feature_drift.value.items():
        categorical = column in cols.categorical
        threshold = t.categorical_drift if categorical else t.feature_drift
        score = _round(entry["Drift score"])
        features[column] = {
            "score": score,
            "method": entry["Method"],
            "threshold": threshold,
            "drifted": score >= threshold,
        }
    labels = {}
    for label, result in label_drift.items():
        score = _round(result.value["Drift score"])
        labels[label] = {
            "score": score,
            "method": result.value["Method"],
            "threshold": t.label_drift,
            "drifted": score >= t.label_drift,
        }
    mv_score = _round(multivariate.value["domain_classifier_drift_score"])
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
            "auc": _round(multivariate.value["domain_classifier_auc"]),
            "threshold": t.multivariate_drift,
            "drifted": mv_score >= t.multivariate_drift,
        },
        "integrity": _integrity_values(results),
        "conditions": conditions,
        "failed_conditions": [f"{c['check']}: {c['condition']}" for c in drift_failed]
        + [f"{c['check']}: {c['condition']}" for c in integrity_failed],
    }


def _integrity_values(results: list[tuple[str, CheckResult]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for group, result in results:
        if group != INTEGRITY:
            continue
        header = result.get_header()
        if isinstance(result.value, dict) and "ratio" in result.value:
            values[header] = {"max_ratio": _round(max(result.value["ratio"].values()))}
        elif header == "PercentOfNulls":
            nulls = result.value["Percent of nulls in sample"]
            values[header] = {"max_ratio": _round(nulls.max())}
        elif header == "Data Duplicates":
            values[header] = {"ratio": _round(result.value)}
    return values


def _score_against_truth(
    metrics: dict[str, Any],
    current: pd.DataFrame,
    data: Data,
    detect_params: Detect,
    cols: _Columns,
    truth: dict[str, Any],
) -> dict[str, Any]:
    batch = truth["current"]
    drift = batch.get("drift") or {}
    sensors = detect_params.columns
    ids = current[data.id_column]
    stuck = detect.stuck_cells(current, sensors, detect_params.stuck_min_readings)
    spikes = detect.spike_cells(current, sensors, detect_params.spike_z, exclude=stuck)
    duplicated = set(ids[detect.duplicate_rows(current)].astype(int))
    flags = {"stuck": stuck, "spike": spikes, "null": current[sensors].isna()}
    return {
        "scenario": drift.get("scenario"),
        "features": truth_score.drift_score(
            metrics["drifted_features"], drift.get("drifted_features", []), cols.features
        ),
        "labels": truth_score.drift_score(
            metrics["drifted_labels"], drift.get("drifted_labels", []), cols.labels
        ),
        "faults": truth_score.fault_scores(batch, ids, duplicated, flags),
    }


# ------------------------------------------------------------------ the HTML report

# deepchecks and pandas' Styler stamp random ids into the HTML (uuid4 for plotly divs,
# five hex digits for tables): renumber them in order of appearance so that the same
# results give the same bytes, and dvc.lock does not change on every run.
_RANDOM_IDS = (
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(r"(?<=T_)[0-9a-f]{5}(?![0-9a-f])"),
)


def normalize_html(html: str) -> str:
    for number, pattern in enumerate(_RANDOM_IDS):
        seen: dict[str, str] = {}
        html = pattern.sub(
            lambda m, n=number, s=seen: s.setdefault(m.group(0), f"id{n}x{len(s):05d}"), html
        )
    return html


def report_html(outcome: CheckOutcome, title: str = "co2mix data checks") -> str:
    """The deepchecks report of all results as one self-contained, deterministic HTML page."""
    suite = SuiteResult(title, [result for _, result in outcome.results])
    serializer = suite.html_serializer
    # deepchecks names "some of the checks" from a set, in hash order: name them all, in order.
    names = ", ".join(result.get_header() for _, result in outcome.results)
    serializer.prepare_prologue = lambda: f"The report is composed of these checks: {names}."
    html = serializer.serialize(
        full_html=True,
        include_requirejs=False,
        include_plotlyjs=True,
        connected=False,
        output_id="co2mix-check",
    )
    return normalize_html(html)
