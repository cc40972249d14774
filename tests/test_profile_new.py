"""``co2mix profile new``: a CSV file becomes a profile that ``dvc repro`` runs unedited."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from co2mix.commands.profile_new import RANGE_MARGIN, profile_params, snake
from co2mix.core.errors import InputError
from tests.helpers import ROOT, copy_project, run


def mixes(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    cement = rng.uniform(200, 500, rows)
    frame = pd.DataFrame(
        {
            "Mix ID": [f"M{i // 4}" for i in range(rows)],  # four ages of each mix
            "Cement (kg/m3)": cement,
            "Water": rng.uniform(140, 200, rows),
            "Slag": rng.uniform(0, 100, rows),
            "Kind": rng.choice(["mortar", "concrete"], rows),
            "Lab": "north",  # constant
            "Sample": [f"S{i}" for i in range(rows)],  # an id
        }
    )
    frame["Strength"] = (
        0.1 * frame["Cement (kg/m3)"] - 0.2 * frame["Water"] + rng.normal(0, 1, rows)
    )
    frame["Entry"] = frame["Strength"].rank(method="first")  # a row number sorted by target
    return frame


def test_names_kinds_ranges_and_what_is_left_out_are_inferred():
    raw, inferred = profile_params(mixes(), "../../mixes.csv", ["Strength"], group="Mix ID")
    assert snake("Cement (kg/m3)") == "cement_kg_m3"
    data, ingest = raw["data"], raw["ingest"]
    assert data["targets"] == ["strength"]
    assert data["categorical"] == ["kind"]
    assert inferred.features == ["cement_kg_m3", "water", "slag", "kind"]
    assert set(inferred.left_out) == {"lab", "sample", "entry"}
    assert "constant" in inferred.left_out["lab"]
    assert "an id" in inferred.left_out["sample"]
    assert "leaks the target" in inferred.left_out["entry"]
    assert ingest["split"] == "group" and ingest["group_column"] == "mix_id"
    assert (
        "Entry" not in ingest["columns"] and ingest["columns"]["Cement (kg/m3)"] == "cement_kg_m3"
    )
    water = mixes()["Water"]
    span = water.max() - water.min()
    low, high = data["ranges"]["water"]
    assert low == pytest.approx(water.min() - RANGE_MARGIN * span, rel=1e-5)
    assert high == pytest.approx(water.max() + RANGE_MARGIN * span, rel=1e-5)
    assert data["ranges"]["slag"][0] == 0.0  # widened, not below zero without negatives
    assert raw["train"]["features"] == {"strength": inferred.features}


def test_a_time_column_orders_the_split():
    frame = mixes().assign(Made=pd.date_range("2025-01-01", periods=200, freq="h").astype(str))
    raw, _ = profile_params(frame, "x.csv", ["Strength"], time="Made")
    assert raw["data"]["time_column"] == "made" and raw["ingest"]["split"] == "time"


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (["Kind"], "not a numeric column"),
        (["Lab"], "not a numeric column"),
        (["Nope"], "no such column"),
    ],
)
def test_a_bad_target_is_refused_naming_it(targets, message):
    with pytest.raises(InputError, match=message):
        profile_params(mixes(), "x.csv", targets)


@pytest.mark.integration
def test_profile_new_then_dvc_repro_runs_with_no_edit(tmp_path):
    project = copy_project(tmp_path)
    (project / "profiles/diamonds").mkdir(parents=True)  # where the CSV pipeline file lives
    for name in ("dvc.yaml", "params.yaml"):  # (DVC parses every dvc.yaml of the repository)
        shutil.copy2(ROOT / "profiles/diamonds" / name, project / "profiles/diamonds" / name)
    from sklearn.datasets import load_diabetes  # a public dataset scikit-learn ships

    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame["Entry"] = frame["target"].rank(method="first")
    frame.to_csv(project / "diabetes.csv", index=False)
    run(["git", "init", "-q", "-b", "main"], project)
    run(["dvc", "init", "-q"], project)
    made = run(
        ["co2mix", "profile", "new", "diabetes", "--csv", "diabetes.csv", "--target", "target"],
        project,
    )
    assert "left out entry: rank correlation +1.0000 with target target" in made.stderr
    params = yaml.safe_load((project / "profiles/diabetes/params.yaml").read_text())
    assert len(params["train"]["features"]["target"]) == 10
    again = run(
        ["co2mix", "profile", "new", "diabetes", "--csv", "diabetes.csv", "--target", "target"],
        project,
        check=False,
    )
    assert again.returncode == 2 and "already exists" in again.stderr

    run(["dvc", "repro", "profiles/diabetes/dvc.yaml"], project)
    evaluation = json.loads((project / "profiles/diabetes/metrics/evaluate.json").read_text())
    scores = evaluation["target"]["models"]
    assert set(scores) == {"linear", "poly2", "xgboost"}
    assert all(0.3 < s["r2"] < 0.7 for s in scores.values())  # diabetes' known difficulty
