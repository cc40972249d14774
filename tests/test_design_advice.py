"""Mix advice on a CSV dataset's design space (issue 26): BOxCrete's profile reproduced
in a fresh repository and served; ``/v1/advise`` answers with the design stage's own
search, the request's floors and context in place of the params'."""

from __future__ import annotations

import shutil

import pytest
import yaml
from fastapi.testclient import TestClient

from co2mix.serving.app import create_app
from co2mix.serving.artifacts import load_artifacts
from co2mix.serving.log import RequestLog
from co2mix.serving.service import Service
from tests.helpers import ROOT, add_profile, copy_project, init_and_reproduce

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def boxcrete(tmp_path_factory):
    """The BOxCrete profile reproduced (a short XGBoost search, a third of the design search
    per seed) in a fresh repository."""
    project = copy_project(tmp_path_factory.mktemp("boxcrete"))
    raw = yaml.safe_load((ROOT / "profiles/boxcrete/params.yaml").read_text())
    raw["train"]["xgboost"] |= {"n_trials": 2, "max_estimators": 200}
    raw["design"]["budget"] = 4000
    profile = add_profile(project, "boxcrete", raw)
    (project / "datasets").mkdir()
    shutil.copy2(ROOT / "datasets/boxcrete.csv", project / "datasets")
    init_and_reproduce(project, "profiles/boxcrete/dvc.yaml")
    return profile, raw


@pytest.fixture(scope="module")
def client(boxcrete, tmp_path_factory):
    profile, _ = boxcrete
    service = Service(load_artifacts(profile))
    log = RequestLog(f"sqlite:///{tmp_path_factory.mktemp('log') / 'log.sqlite'}", {})
    with TestClient(create_app(service, log), base_url="http://127.0.0.1") as client:
        client.service = service  # type: ignore[attr-defined]
        yield client
    log.close()


def test_advice_is_the_design_stages_answer_and_meets_the_declared_constraints(boxcrete, client):
    profile, raw = boxcrete
    design = raw["design"]
    answer = client.post("/v1/advise", json={})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    mix, held = body["answer"]["mix"], body["answer"]["held"]
    assert body["answer"]["feasible"] and held["strength_mpa"] >= 35.0
    binder = mix["cement"] + mix["fly_ash"] + mix["slag"]
    assert 0.25 <= mix["water"] / binder <= 0.50  # design.limits, as declared
    assert 2280.0 <= sum(mix.values()) <= 2790.0
    assert body["answer"]["context"] == design["context"]
    assert body["answer"]["nearest_real_mix"]["name"]
    stage = yaml.safe_load((profile / "metrics/design.json").read_text())
    assert body["bounds"] == stage["bounds"]  # the stage's space, the same code path
    again = client.post("/v1/advise", json={}).json()
    assert again["answer"]["mix"] == mix  # one seed (serve.advise_seed): the same answer


def test_a_higher_floor_costs_more_gwp_and_an_unreachable_one_is_a_422(client):
    """At 35 MPa the data support binds, not the floor (held about 44 MPa); 50 binds."""
    base = client.post("/v1/advise", json={}).json()["answer"]
    stronger = client.post("/v1/advise", json={"strength_mpa": 50.0})
    assert stronger.status_code == 200, stronger.text
    answer = stronger.json()["answer"]
    assert answer["held"]["strength_mpa"] >= 50.0
    assert answer["predicted"]["gwp_kg_m3"] > base["predicted"]["gwp_kg_m3"]
    beyond = client.post("/v1/advise", json={"strength_mpa": 400.0})
    assert beyond.status_code == 422 and "strength_mpa" in beyond.json()["detail"]


def test_a_context_outside_the_data_is_refused_naming_the_field(client):
    for body, field in [
        ({"curing_temp_c": 90.0}, "curing_temp_c"),
        ({"kind": "Plasma"}, "kind"),
        ({"gwp_kg_m3": 10.0}, "gwp_kg_m3"),  # the objective is not a floor
    ]:
        refused = client.post("/v1/advise", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["detail"][0]["loc"][-1] == field


def test_the_page_designs_a_mix_with_the_same_search(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="advise-form"' in page.text and 'id="advise-strength_mpa"' in page.text
    designed = client.get("/?form=advise&strength_mpa=35")
    assert designed.status_code == 200 and 'id="design-chart"' in designed.text
    api = client.post("/v1/advise", json={"strength_mpa": 35.0}).json()["answer"]
    shown = f"<td id='design-gwp_kg_m3'>{api['predicted']['gwp_kg_m3']:g}</td>"
    assert shown in designed.text  # the page and the API: one answer
    refused = client.get("/?form=advise&kind=Plasma")
    assert refused.status_code == 422 and "kind" in refused.text


def test_while_a_design_runs_the_api_and_the_page_both_say_busy(client):
    """One advisor behind both doors: a search from either blocks the other's."""
    with client.service.advisor.searching.held():
        api = client.post("/v1/advise", json={"strength_mpa": 35.0})
        page = client.get("/?form=advise&strength_mpa=35")
    assert api.status_code == 429 and api.headers["retry-after"].isdigit()
    assert page.status_code == 429 and "another advice" in page.text
    assert client.post("/v1/advise", json={"strength_mpa": 35.0}).status_code == 200


def test_an_exposure_class_applies_its_limits_and_an_unknown_one_is_a_422(client):
    """EN 206's XF4 on BOxCrete's own columns: water/binder <= 0.45, binder >= 340."""
    advised = client.post("/v1/advise", json={"exposure_class": "XF4"})
    assert advised.status_code == 200, advised.text
    mix = advised.json()["answer"]["mix"]
    binder = mix["cement"] + mix["fly_ash"] + mix["slag"]
    assert mix["water"] / binder <= 0.45 + 1e-9 and binder >= 340.0 - 1e-9
    unknown = client.post("/v1/advise", json={"exposure_class": "XZ9"})
    assert unknown.status_code == 422 and "exposure_class" in unknown.text
