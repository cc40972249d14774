"""Drift thresholds that scale with the batch sizes: the null's critical values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from co2mix.data.drift_thresholds import (
    cramers_v_critical,
    domain_score_critical,
    ks_critical,
    scaled,
)


@pytest.mark.parametrize(("n", "m"), [(5000, 200), (5000, 500)])
def test_the_ks_critical_value_holds_the_false_alarm_rate_under_no_drift(n, m):
    rng = np.random.default_rng(0)
    limit = ks_critical(n, m, alpha=0.05)
    alarms = [
        ks_2samp(rng.normal(size=n), rng.normal(size=m)).statistic > limit for _ in range(2000)
    ]
    assert 0.03 <= np.mean(alarms) <= 0.065  # 5 % nominal; 2000 draws (sd 0.5 %)


def test_the_ks_critical_value_still_sees_half_a_standard_deviation_at_200_rows():
    rng = np.random.default_rng(1)
    limit = ks_critical(20000, 200, alpha=0.05 / 22)
    hits = [
        ks_2samp(rng.normal(size=20000), rng.normal(0.5, 1.0, size=200)).statistic > limit
        for _ in range(100)
    ]
    assert np.mean(hits) >= 0.9


def test_the_cramers_v_critical_value_holds_the_false_alarm_rate():
    rng = np.random.default_rng(2)
    n, m, k = 5000, 300, 4
    limit = cramers_v_critical(n, m, k, alpha=0.05)
    alarms = []
    for _ in range(400):
        counts = np.array([np.bincount(rng.integers(k, size=s), minlength=k) for s in (n, m)])
        expected = counts.sum(1, keepdims=True) * counts.sum(0, keepdims=True) / counts.sum()
        v = np.sqrt(((counts - expected) ** 2 / expected).sum() / counts.sum())
        alarms.append(v > limit)
    assert 0.01 <= np.mean(alarms) <= 0.08


def test_thresholds_rise_for_small_batches_and_keep_the_configured_floor(make_all_params):
    configured = make_all_params().check.thresholds
    big = scaled(configured, (20000, 5000), tests=22, categories=5, false_alarm_rate=0.05)
    assert big == configured  # at the default sizes the configured numbers are the larger
    small = scaled(configured, (20000, 200), tests=22, categories=5, false_alarm_rate=0.05)
    assert small.feature_drift == pytest.approx(ks_critical(20000, 200, 0.05 / 22))
    assert small.feature_drift > configured.feature_drift
    assert small.label_drift == small.feature_drift
    assert small.multivariate_drift >= configured.multivariate_drift
    assert small.max_null_ratio == configured.max_null_ratio  # integrity: untouched
    assert domain_score_critical(20000, 200, 0.01) > domain_score_critical(20000, 5000, 0.01)
