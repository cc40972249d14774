"""Specified strength: the characteristic basis, the plant's sd, exposure classes, cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.core.errors import ParamsError
from co2mix.core.params_file import parse_params
from co2mix.optimize.benchmark import run_benchmark
from co2mix.optimize.plant_space import candidate_columns, plant_space
from co2mix.optimize.space import cost_per_m3
from co2mix.optimize.specification import dosed, fraction_below, specification
from co2mix.physics.truth import DESIGNED_COLUMNS, REFERENCE_MIX, STRENGTH
from co2mix.simulate.dataset import generate
from tests.helpers import set_key
from tests.test_optimize import one_process, truth_surrogate

REFERENCE_X = np.array([REFERENCE_MIX[v] for v in DESIGNED_COLUMNS])


@pytest.fixture(scope="module")
def train(raw_params):
    """Simulated training mixes: the optimizer's data support."""
    params = parse_params(set_key(raw_params, "generate.reference.rows", 4000))
    return generate(params.generate, params.data).reference.dropna(subset=list(DESIGNED_COLUMNS))


def _params(raw_params, **updates):
    raw = one_process(raw_params)
    for key, value in updates.items():
        raw = set_key(raw, f"optimize.{key}", value)
    return parse_params(raw)


def _refresh(rmse: float) -> dict:
    return {"strength_mpa": {"decision": "refreshed", "latest_rows": 2500,
                             "refreshed": {"rmse": rmse}, "reference": {"rmse": 9.0}}}  # fmt: skip


def test_the_characteristic_basis_designs_for_the_target_plus_z_times_the_plants_sd(raw_params):
    params = _params(raw_params, **{"strength.basis": "characteristic"})
    above_floor = specification(params, _refresh(3.4))
    assert above_floor.sd_mpa == 3.4 and "champion's RMSE" in above_floor.sd_source
    assert above_floor.required_mean(35.0) == pytest.approx(35.0 + 1.6448536 * 3.4, abs=1e-6)
    floored = specification(params, _refresh(2.2))
    assert floored.sd_mpa == params.optimize.strength.sd_floor_mpa
    mean = specification(_params(raw_params), _refresh(3.4))
    assert mean.required_mean(35.0) == 35.0 and mean.record()["margin_mpa"] == 0.0


def test_an_exposure_class_limits_water_binder_and_binder_and_raises_the_target(raw_params):
    params = _params(raw_params, exposure_class="XC4", strength_target_mpa=25.0)
    spec = specification(params, None)
    assert spec.target_mpa == 30.0  # XC4's least strength class, C30/37
    space = plant_space(params, 30.0, None, REFERENCE_X[None, :])
    plain = _params(raw_params)
    plain_space = plant_space(plain, 30.0, None, REFERENCE_X[None, :])
    wet = REFERENCE_X.copy()
    wet[DESIGNED_COLUMNS.index("water")] = 0.6 * wet[:3].sum()  # w/b 0.6 > XC4's 0.50
    lean = REFERENCE_X * np.array([0.6, 0.6, 0.6, 0.6, 1.0, 1.0])  # binder below 300 kg
    for mix in (wet, lean):
        columns = candidate_columns(mix[None, :], params)
        assert limit_violation(space, columns) > limit_violation(plain_space, columns)


def limit_violation(space, columns):
    return sum(float(limit.violation(columns)[0]) for limit in space.limits)


def test_an_unknown_exposure_class_or_price_is_refused_naming_it(raw_params):
    with pytest.raises(ParamsError, match=r"optimize: exposure_class .XZ9. is not one of"):
        _params(raw_params, exposure_class="XZ9")
    with pytest.raises(ParamsError, match=r"prices_per_kg: \[.gold.\] are not mix materials"):
        _params(raw_params, prices_per_kg={"gold": 40.0})


def test_fraction_below_is_the_normal_tail_without_dosing_scatter_and_grows_with_it(raw_params):
    params = _params(raw_params)
    sigma = params.generate.noise.strength_sigma
    strength = float(candidate_columns(REFERENCE_X[None, :], params)[STRENGTH][0])
    assert fraction_below(np.array([strength]), strength, sigma) == pytest.approx(0.5)
    at_margin = fraction_below(np.array([strength]), strength - 1.6448536 * sigma, sigma)
    assert at_margin == pytest.approx(0.05, abs=1e-6)
    scattered = candidate_columns(dosed(REFERENCE_X, params), params)[STRENGTH]
    with_dosing = fraction_below(scattered, strength - 1.6448536 * sigma, sigma)
    assert 0.05 < with_dosing < 0.15  # dosing adds to the test's noise
    assert fraction_below(scattered, strength - 1.6448536 * sigma, sigma) == with_dosing


def test_cost_per_m3_prices_every_material(raw_params):
    params = _params(raw_params)
    columns = candidate_columns(REFERENCE_X[None, :], params)
    prices = params.optimize.prices_per_kg
    expected = sum(float(columns[m][0]) * p for m, p in prices.items())
    assert cost_per_m3(columns, prices) == pytest.approx(expected)
    assert cost_per_m3(columns, {}) is None


def test_every_seeds_characteristic_answer_leaves_at_most_five_percent_below(raw_params, train):
    params = _params(
        raw_params,
        **{"strength.basis": "characteristic", "surrogates": ["linear"], "surrogate": "linear",
           "pareto_targets_mpa": [35.0]},
    )  # fmt: skip
    outcome = run_benchmark(params, {"linear": truth_surrogate("linear")}, train)
    metrics = outcome.metrics
    assert metrics["specification"]["required_mean_mpa"] > 35.0 + 1.6 * 3.0
    runs = [r for r in outcome.runs if r["benchmark"] == "optimizers" and r["feasible"]]
    de = [r for r in runs if r["optimizer"] == "differential_evolution"]
    assert len(de) == len(params.optimize.seeds)
    assert all(r["true_fraction_below_target"] <= 0.05 for r in de)
    mean = run_benchmark(
        _params(raw_params, surrogates=["linear"], surrogate="linear", pareto_targets_mpa=[35.0]),
        {"linear": truth_surrogate("linear")},
        train,
    ).metrics["answer"]
    assert mean["true_fraction_below_target"] > 0.2  # the mean basis: a third below
    assert metrics["answer"]["true_co2_kg_m3"] > mean["true_co2_kg_m3"]  # what the margin costs
    assert metrics["answer"]["cost_per_m3"] > 0


def test_efficient_marks_the_points_no_other_beats_on_both():
    from co2mix.optimize.summary import efficient

    cost = pd.Series([60.0, 70.0, 65.0, None])
    co2 = pd.Series([200.0, 150.0, 210.0, 100.0])
    assert efficient(cost, co2) == [True, True, False, False]


def test_the_cost_front_trades_co2_for_cost_when_scm_is_dear(raw_params, train):
    dear = {"cement": 0.10, "slag": 0.60, "fly_ash": 0.60, "water": 0.0,
            "superplasticizer": 2.0, "coarse_agg": 0.015, "fine_agg": 0.015}  # fmt: skip
    params = _params(
        raw_params, prices_per_kg=dear, surrogates=["linear"], surrogate="linear",
        pareto_targets_mpa=[35.0],
    )  # fmt: skip
    front = run_benchmark(params, {"linear": truth_surrogate("linear")}, train).cost_front
    assert list(front["cost_weight"]) == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
    cheapest, greenest = front.iloc[-1], front.iloc[0]
    assert cheapest["cost_per_m3"] < greenest["cost_per_m3"]
    assert cheapest["true_co2"] > greenest["true_co2"]
    assert front["efficient"].sum() >= 2
