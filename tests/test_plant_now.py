"""The optimizer designs for the plant as it produced the current batch."""

from __future__ import annotations

import pytest

from co2mix.core.params_file import parse_params
from co2mix.optimize.benchmark import run_benchmark
from co2mix.optimize.plant_now import current_plant, describe_plant
from co2mix.optimize.plant_space import true_values
from co2mix.optimize.surrogates import Surrogate
from co2mix.physics.truth import DESIGNED_COLUMNS
from co2mix.simulate.dataset import generate
from tests.helpers import set_key, small_optimize


def drifted(scenario, ambient_offset_c=0.0, weakening=0.0):
    drivers = {
        "ambient_offset_c": ambient_offset_c,
        "scm_tilt": 0.0,
        "main_supplier_weakening": weakening,
    }
    return {"current": {"drift": {"scenario": scenario, "drivers": drivers}}}


@pytest.fixture(scope="module")
def params(raw_params):
    raw = set_key(small_optimize(raw_params), "optimize.n_jobs", 1)
    raw = set_key(raw, "optimize.surrogates", ["poly2"])
    return parse_params(set_key(raw, "optimize.pareto_targets_mpa", [35.0]))


def test_without_drift_or_truth_the_params_are_unchanged(params):
    assert current_plant(params, None) is params
    assert current_plant(params, {"current": {"drift": None}}) is params
    same = current_plant(params, drifted("none"))
    assert same == params
    assert describe_plant(same, drifted("none"))["strength_factor"] == 1.0


def test_the_weaker_supplier_and_the_colder_year_reach_the_context(params):
    supplier = current_plant(params, drifted("supplier", weakening=0.12))
    assert supplier.generate.suppliers["A"].strength_factor == pytest.approx(0.88)  # main
    assert supplier.generate.suppliers["B"] == params.generate.suppliers["B"]
    assert describe_plant(supplier, drifted("supplier"))["strength_factor"] == pytest.approx(0.88)
    winter = current_plant(params, drifted("winter", ambient_offset_c=-8.0))
    assert winter.optimize.context.ambient_temp_c == params.optimize.context.ambient_temp_c - 8
    assert params.generate.suppliers["A"].strength_factor == 1.0  # the input is not touched


class StaleStrength:
    """A model that learnt the plant before its cement got weaker by ``1 - factor``."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, columns):
        co2, strength = true_values(columns)
        return co2, strength / self.factor


def test_a_stale_models_mix_is_truly_infeasible_on_the_plant_of_now(params):
    small = params.generate.model_copy(
        update={"reference": params.generate.reference.model_copy(update={"rows": 3000})}
    )
    train = generate(small, params.data).reference.dropna(subset=list(DESIGNED_COLUMNS))
    now = current_plant(params, drifted("supplier", weakening=0.12))
    stale = run_benchmark(now, {"poly2": Surrogate("poly2", StaleStrength(0.88), 2.5)}, train)
    fresh = run_benchmark(now, {"poly2": Surrogate("poly2", true_values, 2.5)}, train)
    target = params.optimize.strength_target_mpa
    assert stale.metrics["answer"]["truly_feasible"] is False
    assert stale.metrics["answer"]["true_strength_mpa"] < target - 3.0  # 12 % short
    assert fresh.metrics["answer"]["truly_feasible"] is True
    assert fresh.metrics["answer"]["true_strength_mpa"] >= target - 1e-6
