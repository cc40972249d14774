"""The check stage's logic: drift found where the plant drifted, and nowhere else."""

from __future__ import annotations

import contextlib
import re

import pytest

from co2mix.core.errors import ParamsError
from co2mix.data import checks
from co2mix.data.batches import validate_columns
from co2mix.data.check_report import report_html
from co2mix.data.checks import run_checks
from co2mix.simulate.dataset import generate


def checked(params, shift_ambient_sd: float = 0.0):
    data = generate(params.generate, params.data)
    current = data.current
    if shift_ambient_sd:
        current = current.copy()
        sd = data.reference["ambient_temp_c"].std()
        current["ambient_temp_c"] += shift_ambient_sd * sd
    return run_checks(data.reference, current, params.data, params.check, params.detect, data.truth)


@pytest.fixture(scope="module")
def no_drift(make_all_params):
    return checked(make_all_params())


def test_no_drift_fails_no_condition(no_drift):
    m = no_drift.metrics
    assert m["drift_detected"] is False
    assert m["integrity_ok"] is True
    assert m["failed_conditions"] == []
    assert max(f["score"] for f in m["feature_drift"].values()) < 0.05  # threshold 0.08
    assert len(m["feature_drift"]) == 19
    assert m["truth"]["features"] == {"drifted": [], "found": [], "missed": [], "false_alarms": []}


def test_drift_scores_on_threads_equal_those_on_worker_processes(make_all_params, monkeypatch):
    """MultivariateDrift's permutation importance runs on threads (worker processes took
    1.2 s to start for a sub-second job); joblib's default processes give the same."""

    def domain_classifier(outcome):
        [result] = [r for r in outcome.check_results if r.get_header() == "Multivariate Drift"]
        return result.value

    threads = checked(make_all_params())
    monkeypatch.setattr(checks.joblib, "parallel_config", lambda **_: contextlib.nullcontext())
    processes = checked(make_all_params())
    importance = domain_classifier(threads)["domain_classifier_feature_importance"]
    assert len(importance) == 19 and sum(importance.values()) > 0
    assert domain_classifier(threads) == domain_classifier(processes)
    assert threads.metrics == processes.metrics
    assert report_html(threads.check_results) == report_html(processes.check_results)


def test_metrics_cover_every_check_and_condition(no_drift):
    m = no_drift.metrics
    checks = {c["check"] for c in m["conditions"]}
    assert {"Feature Drift", "Multivariate Drift", "Data Duplicates", "PercentOfNulls"} <= checks
    assert {"Label Drift: co2_kg_m3", "Label Drift: strength_mpa"} <= checks
    assert {"Stuck sensor readings", "Sensor spikes"} <= checks
    assert all(isinstance(c["passed"], bool) for c in m["conditions"])
    faults = m["truth"]["faults"]
    assert faults["duplicate"]["recall"] == 1.0
    assert faults["stuck"]["recall"] == 1.0
    assert faults["null"]["recall"] == 1.0


def test_supplier_drift_is_a_label_drift_of_strength_only(make_all_params):
    m = checked(make_all_params(**{"generate.current.scenario": "supplier"})).metrics
    assert m["drifted_labels"] == ["strength_mpa"]
    assert m["drifted_features"] == []
    assert m["drift_detected"] is True
    assert m["truth"]["labels"]["found"] == ["strength_mpa"]
    assert m["truth"]["features"]["false_alarms"] == []


def test_half_sigma_shift_of_ambient_temperature_is_flagged_on_that_feature(make_all_params):
    m = checked(make_all_params(), shift_ambient_sd=0.5).metrics
    assert "ambient_temp_c" in m["drifted_features"]
    assert m["feature_drift"]["ambient_temp_c"]["score"] > 0.15
    assert m["drift_detected"] is True


def test_a_stuck_sensor_fails_integrity_and_is_found(make_all_params):
    params = make_all_params(**{"generate.current.scenario": "sensor_fault"})
    m = checked(params).metrics
    assert m["integrity_ok"] is False
    assert any(f.startswith("Stuck sensor readings") for f in m["failed_conditions"])
    assert m["truth"]["faults"]["stuck"]["recall"] == 1.0


def test_the_html_report_is_byte_reproducible(make_all_params):
    small = make_all_params(
        **{"generate.reference.rows": 2000, "generate.current.rows": 800, "check.seed": 3}
    )
    first, second = (
        report_html(checked(small).check_results),
        report_html(checked(small).check_results),
    )
    assert first == second
    assert "co2mix data checks" in first
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert not re.search(uuid, first)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("check.thresholds.feature_drift", 1.5, "check.thresholds.feature_drift"),
        ("check.thresholds.label_drift", -0.1, "check.thresholds.label_drift"),
        ("check.on_fail", "abort", "check.on_fail"),
        ("prepare.knn_k", 0, "prepare.knn_k"),
        ("prepare.test_fraction", 1.0, "prepare.test_fraction"),
        ("detect.stuck_min_readings", 1, "detect.stuck_min_readings"),
        ("check.features", ["cement", "co2_kg_m3"], "target columns"),
    ],
)
def test_bad_check_and_prepare_params_name_the_key(make_all_params, key, value, message):
    with pytest.raises(ParamsError, match=re.escape(message)):
        make_all_params(**{key: value})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("check.features", ["cement", "slump_mm"]),
        ("data.sensor_columns", ["humidity_pct", "slump_mm"]),
        ("data.categorical", ["recipe", "slump_mm"]),
    ],
)
def test_unknown_columns_in_column_lists_are_named(make_all_params, raw_params, key, value):
    params = make_all_params(**{key: value})
    columns = list(generate(make_all_params().generate, make_all_params().data).current.columns)
    expected = rf"{re.escape(key)} names unknown column\(s\) \['slump_mm'\]"
    with pytest.raises(ParamsError, match=expected):
        validate_columns(columns, params, "data/raw/current.parquet")


def test_two_tables_that_drew_the_same_random_id_still_get_two_numbers():
    from co2mix.data.check_report import normalize_html

    def table(uid: str) -> str:
        return f'<style>#T_{uid} td {{}}</style><table id="T_{uid}"><td id="T_{uid}_row0">'

    drawn = table("a1b2c") + table("0f0f0") + table("a1b2c")  # a collision, as in a real run
    other = table("12345") + table("abcde") + table("fedcb")
    assert normalize_html(drawn) == normalize_html(other)
    assert "T_id1x00002" in normalize_html(drawn)
