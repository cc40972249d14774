"""Implausible rows: flagged by the isolation-forest rule, counted by check, kept or
dropped by prepare."""

from __future__ import annotations

import pytest

from co2mix.data.clean import prepare
from co2mix.data.outliers import fit_rule, outlier_columns
from co2mix.simulate.dataset import generate


@pytest.fixture(scope="module")
def batches(make_all_params):
    params = make_all_params(**{"generate.reference.rows": 3000, "generate.current.rows": 1000})
    data = generate(params.generate, params.data)
    current = data.current.copy()
    # one batch no plant makes: twice its most cement, half its least water, no
    # aggregate at all (each value within data.ranges, the row far from every batch)
    absurd = current.index[10]
    current.loc[absurd, ["cement", "water", "coarse_agg", "fine_agg"]] = [
        2 * data.reference["cement"].max(),
        data.reference["water"].min() / 2,
        0.0,
        0.0,
    ]
    return params, data, current, int(current.loc[absurd, params.data.id_column])


def test_the_rule_flags_the_absurd_batch_and_few_ordinary_ones(batches):
    params, data, current, absurd_id = batches
    rule = fit_rule(data.reference, outlier_columns(params.data, data.reference), seed=1)
    flagged = rule.implausible(current)
    assert flagged[current[params.data.id_column] == absurd_id].all()
    assert flagged.mean() < 0.01
    assert rule.implausible(data.reference).mean() < 0.01


def test_prepare_keeps_them_by_default_and_drops_them_when_told(batches, make_all_params):
    params, data, current, absurd_id = batches
    raw = {"reference": data.reference, "current": current}
    ids = params.data.id_column
    kept = prepare(raw, params.data, params.detect, params.prepare, data.truth)
    assert absurd_id in set(kept.fresh[ids])
    assert "outliers_dropped" not in kept.metrics
    drop = params.prepare.model_copy(update={"outliers": "drop"})
    dropped = prepare(raw, params.data, params.detect, drop, data.truth)
    assert absurd_id not in set(dropped.fresh[ids])
    counts = dropped.metrics["outliers_dropped"]
    assert counts["current"] >= 1
    assert len(dropped.fresh) == len(kept.fresh) - counts["current"]
