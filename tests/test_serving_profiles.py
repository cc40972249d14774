"""Serving a CSV dataset: the diamonds profile reproduced in a fresh repository, then its
champion behind the same API: prices with explanations in dollars, similar diamonds of
the same cut, color and clarity, refusals naming what is wrong, every request logged."""

from __future__ import annotations

import shutil
import time

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from co2mix.modeling.explain import contributions
from co2mix.modeling.registry import final_estimator
from co2mix.modeling.tree_shap import MAX_CELLS, table_cells
from co2mix.serving.app import create_app
from co2mix.serving.artifacts import load_artifacts
from co2mix.serving.log import RequestLog
from co2mix.serving.service import Service
from tests.helpers import ROOT, add_profile, copy_project, init_and_reproduce

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def diamonds(tmp_path_factory):
    """The diamonds profile reproduced (a short search) in a fresh repository."""
    project = copy_project(tmp_path_factory.mktemp("diamonds"))
    raw = yaml.safe_load((ROOT / "profiles/diamonds/params.yaml").read_text())
    raw["train"]["xgboost"] |= {"n_trials": 3, "max_estimators": 300}
    profile = add_profile(project, "diamonds", raw)
    (project / "datasets").mkdir()
    shutil.copy2(ROOT / "datasets/diamonds.csv", project / "datasets")
    init_and_reproduce(project, "profiles/diamonds/dvc.yaml")
    return profile


@pytest.fixture(scope="module")
def client(diamonds, tmp_path_factory):
    service = Service(load_artifacts(diamonds))
    log = RequestLog(f"sqlite:///{tmp_path_factory.mktemp('log') / 'log.sqlite'}", {})
    with TestClient(create_app(service, log), base_url="http://127.0.0.1") as client:
        client.log = log  # type: ignore[attr-defined]
        yield client
    log.close()


STONE = {
    "carat": 1.1,
    "cut": "Ideal",
    "color": "H",
    "clarity": "SI2",
    "depth": 62.0,
    "table": 55.0,
    "x": 6.61,
    "y": 6.65,
    "z": 4.11,
}  # the file's first row: $4,733


def test_a_price_with_its_explanation_in_dollars(client):
    answer = client.post("/v1/predict", json={"rows": [STONE]}).json()
    assert answer["models"] == {"price": "xgboost"}
    price = answer["rows"][0]["predictions"]["price"]
    assert 3000 < price["prediction"] < 7000
    total = price["constant"] + sum(price["contributions"].values())
    assert total == pytest.approx(price["prediction"], rel=1e-4)
    assert set(price["contributions"]) == set(STONE)
    better = client.post("/v1/predict", json={"rows": [STONE | {"clarity": "VVS1"}]}).json()
    assert better["rows"][0]["predictions"]["price"]["prediction"] > price["prediction"]


def test_similar_diamonds_share_cut_color_clarity_and_are_nearest_in_weight(client):
    query = {"cut": "Ideal", "color": "H", "clarity": "SI2", "carat": 1.1, "n": 5}
    answer = client.post("/v1/similar", json=query).json()
    assert answer["matched_on"] == {"cut": "Ideal", "color": "H", "clarity": "SI2"}
    rows = answer["rows"]
    assert len(rows) == 5
    assert all(r["values"]["cut"] == "Ideal" and r["values"]["clarity"] == "SI2" for r in rows)
    distances = [r["distance"] for r in rows]
    assert distances == sorted(distances)
    assert abs(rows[0]["values"]["carat"] - 1.1) <= abs(rows[-1]["values"]["carat"] - 1.1)


def test_refusals_name_the_field_and_advice_is_not_offered(client):
    unknown = client.post("/v1/predict", json={"rows": [STONE | {"clarity": "FL"}]})
    assert unknown.status_code == 422
    detail = unknown.json()["detail"][0]
    assert detail["loc"][-1] == "clarity" and "'IF'" in detail["msg"]
    negative = client.post("/v1/predict", json={"rows": [STONE | {"carat": -1.0}]})
    assert negative.status_code == 422 and negative.json()["detail"][0]["loc"][-1] == "carat"
    advice = client.post("/v1/advise", json={})
    assert advice.status_code == 404 and "no mix advice for this dataset" in advice.json()["detail"]
    page = client.get("/")
    assert page.status_code == 200 and "Advise a mix" not in page.text and "price" in page.text
    info = client.get("/v1/model").json()
    assert info["surrogate"] is None and info["models"]["price"]["champion"] == "xgboost"


def test_every_request_is_in_the_log(client):
    before = len(client.log.latest(1000))
    client.post("/v1/predict", json={"rows": [STONE]})
    client.get("/v1/health")
    rows = client.log.latest(1000)
    assert len(rows) == before + 2
    assert rows[0]["endpoint"] == "/v1/health"


def test_exact_contributions_are_looked_up_when_the_table_fits_with_xgboost_s_values(
    client, diamonds
):
    methods = client.get("/v1/health").json()["contributions"]
    assert methods["price"] in {"building", "lookup", "tree_shap"}
    deadline = time.monotonic() + 120
    while methods["price"] == "building" and time.monotonic() < deadline:
        time.sleep(0.5)
        methods = client.get("/v1/health").json()["contributions"]
    pipeline = load_artifacts(diamonds).champions["price"].pipeline
    # the table is built when it is small enough (the short search here may pick deep trees)
    cells = table_cells(final_estimator(pipeline).get_booster())
    assert methods == {"price": "lookup" if cells <= MAX_CELLS else "tree_shap"}
    served = client.post("/v1/predict", json={"rows": [STONE]}).json()["rows"][0]
    shares, constant = contributions(pipeline, pd.DataFrame([STONE]))  # XGBoost's TreeSHAP
    price = served["predictions"]["price"]
    assert price["constant"] == pytest.approx(constant[0], rel=1e-5)
    for feature, value in shares.iloc[0].items():
        assert price["contributions"][feature] == pytest.approx(value, abs=0.05)  # dollars
