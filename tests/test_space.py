"""One design space for every dataset: the plant's and a CSV dataset's problems are the
same value, searched by the same code, and the plant's limits written as expressions
say what its physics says."""

from __future__ import annotations

import numpy as np
import pytest

from co2mix.core.params_file import parse_params
from co2mix.optimize.csv_design import csv_predictor, csv_space
from co2mix.optimize.design import Budget, design_mix, highest_reachable
from co2mix.optimize.plant_space import (
    by_target,
    candidate_columns,
    plant_limits,
    plant_space,
    true_values,
)
from co2mix.optimize.space import DesignSpace, Limit
from co2mix.physics import truth
from co2mix.physics.truth import CO2, DESIGNED_COLUMNS, REFERENCE_MIX, STRENGTH
from tests.test_design_space import models, params, rows

REFERENCE_X = np.array([[REFERENCE_MIX[v] for v in DESIGNED_COLUMNS]])


@pytest.fixture(scope="module")
def plant(raw_params):
    return parse_params(raw_params)


def random_mixes(plant, n: int = 400, seed: int = 5) -> np.ndarray:
    low, high = np.array(plant_space(plant, 35.0, None, REFERENCE_X).bounds).T
    return low + (high - low) * np.random.default_rng(seed).random((n, len(low)))


def test_the_plant_limits_as_expressions_are_the_physics_ratios(plant):
    columns = candidate_columns(random_mixes(plant), plant)
    water_binder, scm, fly_ash, sand = plant_limits(plant.optimize.limits, None)
    binder = truth.binder_kg(columns)
    low, high = plant.optimize.limits.water_binder
    expected = np.maximum(low - columns["water"] / binder, 0) + np.maximum(
        columns["water"] / binder - high, 0
    )
    np.testing.assert_allclose(water_binder.violation(columns), expected / 0.1, rtol=1e-12)
    share = np.maximum(truth.scm_share(columns) - plant.optimize.limits.scm_share_max, 0)
    np.testing.assert_allclose(scm.violation(columns), share / 0.1, rtol=1e-12)
    assert (fly_ash.violation(columns) > 0).any() and (fly_ash.violation(columns) == 0).any()
    short = np.maximum(plant.optimize.limits.fine_agg_min_kg - columns["fine_agg"], 0)
    np.testing.assert_allclose(sand.violation(columns), short / 100.0, rtol=1e-12)


def test_an_exposure_class_adds_a_binder_limit_and_tightens_water_binder(plant):
    xc4 = plant.optimize.exposure_classes["XC4"]
    limits = plant_limits(plant.optimize.limits, xc4)
    assert limits[0].high == xc4.max_water_binder
    assert limits[-1] == Limit("cement + slag + fly_ash", low=xc4.min_binder_kg, scale=100.0)


def test_a_limit_counts_a_breach_of_its_scale_as_one_unit():
    limit = Limit("a / b", low=0.5, high=1.0, scale=0.25)
    columns = {"a": np.array([1.0, 2.0, 0.5]), "b": np.array([4.0, 2.0, 0.25])}
    np.testing.assert_allclose(limit.violation(columns), [1.0, 0.0, 4.0])


def test_the_plant_and_a_csv_dataset_are_one_kind_of_space_searched_alike(plant):
    data, p = rows(), params()
    csv = csv_space(p, models(p, data), data)
    plant_space_ = plant_space(plant, 35.0, None, REFERENCE_X)
    assert type(csv) is type(plant_space_) is DesignSpace
    budget = Budget(1500, 10)
    csv_mix = design_mix(csv, csv_predictor(models(p, data)), 1, budget).mix
    assert csv_mix is not None and csv_mix == pytest.approx([0.0, 5.0], abs=0.3)
    plant_mix = design_mix(plant_space_, by_target(true_values), 1, budget).mix
    assert plant_mix is not None
    true_strength = candidate_columns(plant_mix[None, :], plant)[STRENGTH][0]
    reference_co2 = candidate_columns(REFERENCE_X, plant)[CO2][0]
    assert true_strength >= 35.0 - 1e-9
    assert candidate_columns(plant_mix[None, :], plant)[CO2][0] < reference_co2


def test_an_unreachable_floor_reports_the_highest_value_a_supported_mix_reaches():
    data, p = rows(), params(constraints={"strength": 40.0})  # a + 2b <= 30 on the box
    space, predict = csv_space(p, models(p, data), data), csv_predictor(models(p, data))
    designed = design_mix(space, predict, 1, Budget(1500, 10))
    assert designed.mix is None
    assert designed.highest == pytest.approx(30.0, abs=0.5)
    assert highest_reachable(space, "strength", predict, 1, Budget(1500, 10)) == designed.highest
