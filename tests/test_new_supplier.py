"""A level no model has seen (scenario ``new_supplier``): named by check, counted by
evaluate, learnt by refresh; never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from co2mix.data.checks import new_levels
from co2mix.modeling.refresh import TargetData, refresh_target, split_fresh
from co2mix.modeling.registry import unseen_levels
from co2mix.simulate.plant import NEW_SUPPLIER
from tests.helpers import stale_strength_model

TARGET = "strength_mpa"


@pytest.fixture(scope="module")
def world(make_all_params):
    """A poly2 strength model of the reference, and a current batch with supplier D."""
    params, prepared, model = stale_strength_model(make_all_params, "new_supplier")
    return params, prepared, model


def test_the_new_supplier_arrives_a_third_of_the_way_in_and_supplies_a_third(world):
    params, prepared, _ = world
    fresh = prepared.fresh.sort_values(params.data.time_column).reset_index(drop=True)
    is_new = (fresh["cement_supplier"].astype(str) == NEW_SUPPLIER).to_numpy()
    assert 0.28 < is_new.mean() < 0.38
    assert not is_new[: len(fresh) // 3 - 5].any()  # none before a third of the way in
    assert NEW_SUPPLIER not in set(prepared.train["cement_supplier"].astype(str))


def test_check_names_the_level_and_its_rows(world):
    _, prepared, _ = world
    named = new_levels(prepared.train, prepared.fresh, ["recipe", "cement_supplier"])
    rows = int((prepared.fresh["cement_supplier"].astype(str) == NEW_SUPPLIER).sum())
    assert named == {"cement_supplier": {NEW_SUPPLIER: rows}}


def test_rows_with_an_unseen_level_are_counted_and_named_not_scored(world):
    params, prepared, model = world
    x = prepared.fresh[params.train.features[TARGET]]
    scorable, reason = unseen_levels(model, x)
    assert (~scorable).sum() == (x["cement_supplier"].astype(str) == NEW_SUPPLIER).sum()
    assert f"cement_supplier: {NEW_SUPPLIER!r} ({(~scorable).sum()} rows)" in reason
    assert np.isfinite(model.predict(x[scorable])).all()
    with pytest.raises(ValueError, match="unknown category 'D'"):
        model.predict(x)  # the model itself still refuses it: never guessed


def test_refresh_publishes_a_refit_that_knows_the_new_supplier(world, make_all_params):
    params, prepared, model = world
    parts = split_fresh(prepared.fresh, params.data.time_column, 0.5)
    assert (parts[0]["cement_supplier"].astype(str) == NEW_SUPPLIER).any()  # adaptation rows
    task = TargetData(TARGET, params.train.features[TARGET], 2.5, "poly2", 3.5)
    record, published = refresh_target(
        task, {"poly2": model}, prepared.train, parts, params.refresh, drift_detected=True
    )
    assert record["decision"] == "refreshed"
    assert "cannot score adaptation rows" in record["reason"]
    assert record["reference"]["not_scored"]["rows"] > 0
    assert "not_scored" not in record["refreshed"]  # it scores every latest row
    latest = parts[1]
    is_new = latest["cement_supplier"].astype(str) == NEW_SUPPLIER

    def rmse(rows):
        error = rows[TARGET].to_numpy() - published["poly2"].predict(rows[task.features])
        return np.sqrt(np.mean(error**2))

    # it learnt D: its error there is about its error on the suppliers it always knew
    assert rmse(latest[is_new]) < 1.2 * rmse(latest[~is_new])
