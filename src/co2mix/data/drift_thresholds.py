"""Drift thresholds that scale with the two sample sizes.

A fixed drift score means different things at different batch sizes: a KS statistic of
0.08 is noise between 200 rows and the reference, and a real change at 5,000. Each
threshold here is the larger of two numbers: the configured one
(``check.thresholds.*``, the smallest drift worth flagging), and the score that the
*null* (no drift at all) exceeds with probability ``check.false_alarm_rate`` / the number
of drift tests, for these sample sizes (Bonferroni: the whole check then raises a false
alarm at most at that rate). At the default 5,000 current rows the configured numbers
are the larger; at a week's few hundred rows the statistical ones are.

- Kolmogorov-Smirnov (numeric features, labels): the asymptotic two-sample critical
  value ``sqrt(-ln(a / 2) / 2) * sqrt((n + m) / (n m))``.
- Cramer's V (categorical features, a 2 x k table): ``sqrt(chi2_{1-a}(k - 1) / (n + m))``
  (deepchecks reports the bias-corrected V, which is smaller: conservative).
- The domain classifier's drift score 2 AUC - 1 (multivariate): the Mann-Whitney null
  of the AUC on its held-out split, one-sided.
"""

from __future__ import annotations

import math

from scipy.stats import chi2, norm

from co2mix.core.params import CheckThresholds

# deepchecks MultivariateDrift's defaults: rows sampled per dataset, held-out share
DOMAIN_SAMPLES = 10_000
DOMAIN_TEST_SIZE = 0.3


def ks_critical(n: int, m: int, alpha: float) -> float:
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) * math.sqrt((n + m) / (n * m))


def cramers_v_critical(n: int, m: int, categories: int, alpha: float) -> float:
    return math.sqrt(chi2.ppf(1.0 - alpha, max(categories - 1, 1)) / (n + m))


def domain_score_critical(n: int, m: int, alpha: float) -> float:
    a = DOMAIN_TEST_SIZE * min(n, DOMAIN_SAMPLES)
    b = DOMAIN_TEST_SIZE * min(m, DOMAIN_SAMPLES)
    auc_sd = math.sqrt((a + b + 1.0) / (12.0 * a * b))
    return 2.0 * float(norm.ppf(1.0 - alpha)) * auc_sd


def scaled(
    configured: CheckThresholds,
    sizes: tuple[int, int],
    tests: int,
    categories: int,
    false_alarm_rate: float,
) -> CheckThresholds:
    """``configured`` with each drift threshold raised to its null critical value for
    ``sizes`` (reference rows, current rows); ``tests`` drift tests share the false-alarm
    rate; ``categories`` is the most levels of any categorical feature."""
    n, m = sizes
    if min(n, m) < 2:
        return configured
    alpha = false_alarm_rate / max(tests, 1)
    ks = ks_critical(n, m, alpha)
    return configured.model_copy(
        update={
            "feature_drift": max(configured.feature_drift, ks),
            "label_drift": max(configured.label_drift, ks),
            "categorical_drift": max(
                configured.categorical_drift, cramers_v_critical(n, m, categories, alpha)
            ),
            "multivariate_drift": max(
                configured.multivariate_drift, domain_score_critical(n, m, alpha)
            ),
        }
    )
