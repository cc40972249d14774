"""The noise-free physics: calibration anchors and the laws it must obey."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.physics import truth


@pytest.fixture(scope="module")
def plant(make_params):
    params = make_params()
    return params.emission_factors, params.strength, params.process


def evaluate(plant, mix: dict, **context) -> pd.Series:
    factors, strength, process = plant
    frame = truth.evaluate_mix(
        pd.DataFrame([mix]), {**truth.MILD_CONTEXT, **context}, factors, strength, process
    )
    return frame.iloc[0]


def test_structural_cem_i_mix_matches_the_calibration_anchor(plant):
    # 400 kg/m3 CEM I, w/c 0.45, 20 km, mild weather.
    result = evaluate(plant, truth.REFERENCE_MIX)
    assert 395.0 <= result["co2_kg_m3"] <= 425.0
    assert 35.0 <= result["strength_mpa"] <= 50.0
    _, _, process = plant
    assert result["heating_energy_kwh"] == process.heating_standby_kwh  # mild: heater idles


def test_half_slag_cuts_co2_and_slows_early_strength_more_than_late(plant):
    slag_mix = {**truth.REFERENCE_MIX, "cement": 200.0, "slag": 200.0}
    cem_i_28 = evaluate(plant, truth.REFERENCE_MIX)
    slag_28 = evaluate(plant, slag_mix)
    assert slag_28["co2_kg_m3"] < 0.65 * cem_i_28["co2_kg_m3"]

    cem_i_3 = evaluate(plant, truth.REFERENCE_MIX, age_days=3)
    slag_3 = evaluate(plant, slag_mix, age_days=3)
    loss_3 = 1 - slag_3["strength_mpa"] / cem_i_3["strength_mpa"]
    loss_28 = 1 - slag_28["strength_mpa"] / cem_i_28["strength_mpa"]
    assert loss_28 > 0
    assert loss_3 > loss_28 + 0.1


@pytest.mark.parametrize("slag", [0.0, 100.0, 240.0])
def test_strength_rises_with_age_and_falls_with_water(plant, slag):
    mix = {**truth.REFERENCE_MIX, "cement": 400.0 - slag, "slag": slag}
    by_age = [evaluate(plant, mix, age_days=age)["strength_mpa"] for age in (1, 3, 7, 28, 56, 90)]
    assert np.all(np.diff(by_age) > 0)
    by_water = [evaluate(plant, {**mix, "water": w})["strength_mpa"] for w in (150, 170, 190, 210)]
    assert np.all(np.diff(by_water) < 0)


def test_cold_curing_slows_strength_gain_and_costs_heating(plant):
    mild = evaluate(plant, truth.REFERENCE_MIX, age_days=3)
    cold = evaluate(plant, truth.REFERENCE_MIX, age_days=3, ambient_temp_c=-2.0)
    assert cold["strength_mpa"] < mild["strength_mpa"]
    assert cold["heating_energy_kwh"] > mild["heating_energy_kwh"] + 1.0
    assert cold["co2_kg_m3"] > mild["co2_kg_m3"]


def test_fine_aggregate_closes_the_volume_balance(plant):
    result = evaluate(plant, truth.REFERENCE_MIX)
    assert truth.volume_m3(result) == pytest.approx(1.0, abs=1e-12)
    too_much_paste = {**truth.REFERENCE_MIX, "cement": 900.0, "water": 400.0}
    assert not evaluate(plant, too_much_paste)["volume_ok"]


def test_truth_functions_are_vectorized(plant):
    factors, strength, process = plant
    mixes = pd.DataFrame([truth.REFERENCE_MIX] * 5)
    mixes["cement"] = np.linspace(250, 450, 5)
    out = truth.evaluate_mix(mixes, truth.MILD_CONTEXT, factors, strength, process)
    assert len(out) == 5
    assert np.all(np.diff(out["co2_kg_m3"]) > 0)
    assert np.all(np.diff(out["strength_mpa"]) > 0)
