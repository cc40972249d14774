"""The committed results of the default pipeline meet the project's quality bar.

.ci/run re-runs the whole pipeline on a clean clone and fails when dvc.lock or metrics/
differ from what is committed, so these figures are what `make repro` produces.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def evaluation():
    return json.loads((ROOT / "metrics/evaluate.json").read_text())


@pytest.mark.parametrize(("target", "bound"), [("co2_kg_m3", 1.05), ("strength_mpa", 1.10)])
def test_champion_reaches_the_noise_floor(evaluation, target, bound):
    result = evaluation[target]
    champion = result["models"][result["champion"]]
    assert champion["rmse"] == min(m["rmse"] for m in result["models"].values())
    assert champion["rmse_over_sigma"] <= bound


def test_linear_cannot_follow_the_nonlinear_strength_physics(evaluation):
    strength = evaluation["strength_mpa"]
    champion_r2 = strength["models"][strength["champion"]]["r2"]
    assert strength["models"]["linear"]["r2"] < champion_r2 - 0.2


def test_explanations_cover_every_model_and_add_up(evaluation):
    explanations = json.loads((ROOT / "metrics/explanations.json").read_text())
    for target, by_model in explanations.items():
        assert set(by_model) == set(evaluation[target]["models"])
        for rows in by_model.values():
            for row in rows:
                total = row["constant"] + sum(row["contributions"].values())
                assert total == pytest.approx(row["prediction"], abs=1e-3)
