"""Mix design on a dataset's declared design space, against a problem with a known answer:
minimise cost = 2a + b subject to strength = a + 2b >= 10 on a, b in [0, 10] (the
optimum is a = 0, b = 5, cost 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from co2mix.core.errors import ParamsError
from co2mix.core.params import CsvParams
from co2mix.core.params_file import parse_params
from co2mix.modeling.models import fit_model, model_options
from co2mix.modeling.registry import FitSpec
from co2mix.optimize.csv_design import DesignTarget, csv_designer
from co2mix.optimize.design_record import design_record
from tests.csv_profile import csv_params


def rows(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.uniform(0, 10, n), "b": rng.uniform(0, 10, n)})
    frame["kind"] = "x"
    frame["cost"] = 2 * frame["a"] + frame["b"]
    frame["strength"] = frame["a"] + 2 * frame["b"] + rng.normal(0, 0.3, n)
    frame["name"] = [f"mix{i}" for i in range(n)]
    return frame


def params(**design) -> CsvParams:
    raw = csv_params("rows.csv")
    raw["data"] |= {"targets": ["cost", "strength"], "categorical": ["kind"], "ordinal": {}}
    raw["train"]["features"] = {"cost": ["a", "b"], "strength": ["a", "b"]}
    raw["design"] = {
        "objective": "cost",
        "constraints": {"strength": 10.0},
        "variables": ["a", "b"],
        "context": {"kind": "x"},
        "margin_std": 0.0,
        "support": {
            "enabled": False,
            "box_quantile": 0.0,
            "neighbour_quantile": 0.5,
            "fit_rows": 0,
        },
        "seeds": [1, 2],
        "budget": 1500,
        "popsize": 10,
    } | design
    parsed = parse_params(raw)
    assert isinstance(parsed, CsvParams)
    return parsed


def design_csv_mix(p: CsvParams, models, data: pd.DataFrame, name_column: str):
    """The design stage's record for a CSV dataset."""
    return design_record(csv_designer(p, models, data, name_column))


def fitted(p: CsvParams, data: pd.DataFrame, target: str, model: str) -> DesignTarget:
    spec = FitSpec(["a", "b"], [], 0, 0.2, model_options(p.train, model))
    pipeline = fit_model(model, spec, data, data[target]).pipeline
    return DesignTarget(model, pipeline, ["a", "b"])


def models(p: CsvParams, data: pd.DataFrame, strength_model: str = "linear"):
    return {
        "cost": fitted(p, data, "cost", "linear"),
        "strength": fitted(p, data, "strength", strength_model),
    }


def test_the_design_finds_the_known_optimum_and_names_the_real_mixes():
    data, p = rows(), params()
    result = design_csv_mix(p, models(p, data), data, "name")
    answer = result["answer"]
    assert answer is not None and answer["feasible"]
    assert answer["predicted"]["cost"] == pytest.approx(5.0, abs=0.1)
    assert answer["mix"]["a"] == pytest.approx(0.0, abs=0.1)
    assert answer["held"]["strength"] >= 10.0 - 1e-6
    best = result["best_real_mix"]
    assert best is not None and best["measured"]["strength"] >= 10.0
    feasible = data[data["strength"] >= 10.0]
    assert best["measured"]["cost"] == pytest.approx(feasible["cost"].min(), abs=1e-4)
    assert result["improvement_pct"] > 0


def test_the_support_constraint_keeps_the_answer_near_real_mixes():
    data = rows()
    data = data[(data["a"] > 2) | (data["b"] > 7)]  # no real mix near the optimum (0, 5)
    support = {"enabled": True, "box_quantile": 0.0, "neighbour_quantile": 0.5, "fit_rows": 0}
    p = params(support=support)
    answer = design_csv_mix(p, models(p, data), data.reset_index(drop=True), "name")["answer"]
    assert answer is not None
    assert answer["nearest_distance_sd"] <= answer["support_radius_sd"] + 1e-6
    assert answer["predicted"]["cost"] > 5.5  # the unsupported optimum is not proposed


def test_a_gaussian_process_constraint_holds_a_margin_of_its_std():
    data = rows(150)
    p = params(margin_std=2.0)
    result = design_csv_mix(p, models(p, data, "gp"), data, "name")
    answer = result["answer"]
    assert answer is not None and answer["predicted_std"]["strength"] > 0
    held = answer["predicted"]["strength"] - 2.0 * answer["predicted_std"]["strength"]
    assert answer["held"]["strength"] == pytest.approx(held, abs=1e-3)
    assert answer["predicted"]["strength"] > 10.0 + answer["predicted_std"]["strength"]


def test_an_unreachable_floor_says_so_and_a_model_feature_outside_the_space_is_refused():
    data = rows()
    p = params(constraints={"strength": 100.0})
    result = design_csv_mix(p, models(p, data), data, "name")
    assert result["answer"] is None and "no candidate met every floor" in result["reason"]
    assert result["best_real_mix"] is None
    p = params(variables=["a"], context={"kind": "x"}, bounds={})
    with pytest.raises(ParamsError, match=r"reads \['b'\], which are neither"):
        design_csv_mix(p, models(p, data), data, "name")


def test_an_exposure_class_limits_water_binder_binder_and_raises_the_floor():
    """Water b, binder a + b: the unlimited optimum (a 0, b 5) has water/binder 1. A class
    with water/binder <= 0.5 and a least strength of 12 moves it to a = b = 4 (cost 12)."""
    data = rows()
    exposure = {
        "water": "b",
        "binder": "a + b",
        "strength": "strength",
        "classes": {"T1": {"max_water_binder": 0.5, "min_binder_kg": 4.0, "min_strength_mpa": 12}},
    }
    p = params(exposure=exposure, exposure_class="T1")
    answer = design_csv_mix(p, models(p, data), data, "name")["answer"]
    a, b = answer["mix"]["a"], answer["mix"]["b"]
    assert b / (a + b) <= 0.5 + 1e-9 and answer["held"]["strength"] >= 12.0 - 1e-9
    assert answer["predicted"]["cost"] == pytest.approx(12.0, abs=0.3)
    plain = design_csv_mix(params(exposure=exposure), models(p, data), data, "name")["answer"]
    assert plain["predicted"]["cost"] == pytest.approx(5.0, abs=0.3)  # declared, not applied


def test_an_exposure_class_without_its_table_or_unknown_is_refused_naming_it():
    with pytest.raises(ParamsError, match="exposure_class needs exposure"):
        params(exposure_class="T1")
    exposure = {
        "water": "b",
        "binder": "a + b",
        "strength": "strength",
        "classes": {"T1": {"max_water_binder": 0.5, "min_binder_kg": 4.0, "min_strength_mpa": 12}},
    }
    with pytest.raises(ParamsError, match=r"exposure_class 'T9' is not one of"):
        params(exposure=exposure, exposure_class="T9")
    with pytest.raises(ParamsError, match=r"exposure.strength 'cost' is not a constraint"):
        params(exposure=exposure | {"strength": "cost"})
    with pytest.raises(ParamsError, match=r"design\.exposure\.binder"):
        data = rows()
        p = params(exposure=exposure | {"binder": "a + z"}, exposure_class="T1")
        design_csv_mix(p, models(p, data), data, "name")


def test_the_nearest_real_mix_is_reported_as_measured_in_the_designs_context():
    """A mix tested at two ages (BOxCrete's kind): the support indexes it once, by its
    first row (7 days here), and the answer shows its measurement at the design's 28."""
    data = rows().assign(age=28.0)
    early = data.assign(age=7.0, strength=data["strength"] / 2)
    tested = pd.concat([early, data], ignore_index=True)  # each mix's 7-day row first
    support = {"enabled": True, "box_quantile": 0.0, "neighbour_quantile": 0.5, "fit_rows": 0}
    p = params(support=support, context={"kind": "x", "age": 28.0})
    answer = design_csv_mix(p, models(p, data), tested, "name")["answer"]
    nearest = answer["nearest_real_mix"]
    at_28 = data.set_index("name").loc[nearest["name"]]
    assert nearest["measured"]["strength"] == pytest.approx(at_28["strength"], abs=1e-4)
