"""The HTTP API in process (FastAPI's TestClient) on a small reproduced project: what it
answers is what the pipeline's champions, intervals and optimizer say, bad input is a
422 naming the field, and every request lands in the log."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text

from co2mix.optimize.plant_space import candidate_columns
from co2mix.physics.truth import CO2, MIX_COLUMNS, STRENGTH
from co2mix.serving.app import create_app
from co2mix.serving.log import RequestLog


@pytest.fixture
def client(served, tmp_path):
    _, service = served
    log = RequestLog(f"sqlite:///{tmp_path / 'log.sqlite'}", {"t": "hash"})
    with TestClient(create_app(service, log), base_url="http://127.0.0.1") as client:
        client.log = log  # type: ignore[attr-defined]
        yield client
    log.close()


def training_row(service, i=0):
    row = service.art.train.iloc[i]
    return {
        f: (str(row[f]) if service.art.categories(f) else float(row[f]))
        for f in service.art.features
    }


def test_predict_is_the_champion_with_its_explanation_and_interval(client, served):
    _, service = served
    rows = [training_row(service, i) for i in range(5)]
    answer = client.post("/v1/predict", json={"rows": rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    frame = pd.DataFrame(rows)
    for column in frame.columns:  # the pipelines take the training categories
        categories = service.art.categories(column)
        if categories is not None:
            frame[column] = pd.Categorical(frame[column], categories=categories)
    for target, model in service.art.champions.items():
        assert body["models"][target] == model.model
        expected = model.pipeline.predict(frame[model.features])
        for i, row in enumerate(body["rows"]):
            got = row["predictions"][target]
            assert got["prediction"] == pytest.approx(expected[i], abs=1e-4)
            total = got["constant"] + sum(got["contributions"].values())
            assert total == pytest.approx(got["prediction"], abs=1e-4)
            assert set(got["contributions"]) <= set(model.features)
            width = model.interval["half_width"]
            low, high = got["interval"]
            assert high - low == pytest.approx(2 * width, abs=1e-5)
            assert low < got["prediction"] < high


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"cement": None}, "cement", "valid number"),
        ({"cement": "a lot"}, "cement", "valid number"),
        ({"water": -5.0}, "water", "greater than or equal to 0"),
        ({"cement_supplier": "Z"}, "cement_supplier", "'A', 'B' or 'C'"),
        ({"cement_supplier": 3}, "cement_supplier", "'A', 'B' or 'C'"),
        ({"unknown_column": 1.0}, "unknown_column", "Extra inputs"),
    ],
)
def test_bad_rows_are_422_naming_the_field(client, served, change, field, words):
    row = training_row(served[1]) | change
    answer = client.post("/v1/predict", json={"rows": [row]})
    assert answer.status_code == 422
    errors = answer.json()["detail"]
    assert any(e["loc"][-1] == field and words in e["msg"] for e in errors), errors


def test_a_missing_field_nan_and_infinity_are_422_not_500(client, served):
    row = training_row(served[1])
    del row["slag"]
    answer = client.post("/v1/predict", json={"rows": [row]})
    assert answer.status_code == 422
    assert any(e["loc"][-1] == "slag" and e["type"] == "missing" for e in answer.json()["detail"])
    for literal in ("NaN", "Infinity", "-Infinity"):
        payload = json.dumps({"rows": [training_row(served[1])]}).replace(
            '"cement": ', f'"cement": {literal}, "_was": '
        )
        answer = client.post(
            "/v1/predict", content=payload, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 422, literal
        assert any(
            e["loc"][-1] == "cement" and "finite" in e["msg"] for e in answer.json()["detail"]
        )
    broken = client.post(
        "/v1/predict", content=b'{"rows": [', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422


def test_too_many_rows_are_413_and_none_are_422(client, served):
    limit = served[1].art.params.serve.max_rows
    answer = client.post("/v1/predict", json={"rows": [training_row(served[1])] * (limit + 1)})
    assert answer.status_code == 413
    assert "serve.max_rows" in answer.json()["detail"]
    assert client.post("/v1/predict", json={"rows": []}).status_code == 422


def test_similar_rows_share_the_key_and_come_nearest_first(client, served):
    _, service = served
    train = service.art.train
    recipe = str(train["recipe"].iloc[3])
    query = {"recipe": recipe} | {
        c: float(train[c].iloc[3]) + 1.0 for c in service.art.params.serve.similar_numeric
    }
    answer = client.post("/v1/similar", json=query | {"n": 7})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert len(rows) == 7
    assert {r["values"]["recipe"] for r in rows} == {recipe}
    distances = [r["distance"] for r in rows]
    assert distances == sorted(distances)
    # the nearest really is the nearest of that recipe (brute force over the training rows)
    numeric = service.art.params.serve.similar_numeric
    same = train[train["recipe"].astype(str) == recipe].dropna(subset=numeric)
    scale = service.similar_scale
    values = same[numeric].to_numpy(float)
    point = np.array([query[c] for c in numeric])
    brute = np.sqrt((((values - point) / scale) ** 2).sum(axis=1))
    assert distances[0] == pytest.approx(brute.min(), abs=1e-6)
    assert client.post("/v1/similar", json=query | {"recipe": "C99-X"}).status_code == 422


def test_advice_meets_the_target_within_support_and_is_deterministic(client, served):
    _, service = served
    request = {"strength_target_mpa": 32.0, "ambient_temp_c": 5.0, "transport_km": 40.0}
    first = client.post("/v1/advise", json=request)
    assert first.status_code == 200, first.text
    advice = first.json()
    assert client.post("/v1/advise", json=request).json()["mix"] == advice["mix"]
    params = service.art.params
    designed = [advice["mix"][c] for c in params.optimize.bounds]
    for value, (low, high) in zip(designed, params.optimize.bounds.values(), strict=True):
        assert low - 0.05 <= value <= high + 0.05
    # the surrogate the search used predicts the target met for this context
    context = params.optimize.context.model_copy(
        update={"ambient_temp_c": 5.0, "transport_km": 40.0}
    )
    asked = params.model_copy(
        update={"optimize": params.optimize.model_copy(update={"context": context})}
    )
    _, strength = service.advisor.surrogate(candidate_columns(np.array([designed]), asked))
    assert strength[0] >= 32.0 - 0.1
    assert advice["co2_cut_pct"] == pytest.approx(
        100 * (1 - advice["co2_kg_m3"]["prediction"] / advice["reference_co2_kg_m3"]), abs=0.01
    )
    near = advice["nearest_real_mix"]
    row = service.art.train.loc[service.art.train[params.data.id_column] == near["id"]]
    assert len(row) == 1
    assert near["mix"] == {c: round(float(row[c].iloc[0]), 1) for c in MIX_COLUMNS}
    assert advice["seconds"] <= params.serve.advise_seconds


def test_advice_applies_an_exposure_class_and_reports_its_specification(client):
    plain = client.post("/v1/advise", json={"strength_target_mpa": 25.0}).json()
    assert plain["specification"]["exposure_class"] is None
    assert plain["cost_per_m3"] > 0
    answer = client.post("/v1/advise", json={"strength_target_mpa": 25.0, "exposure_class": "XC4"})
    assert answer.status_code == 200, answer.text
    advice = answer.json()
    limits = advice["specification"]["exposure_limits"]
    assert advice["strength_target_mpa"] == 30.0  # raised to XC4's least strength class
    mix = advice["mix"]
    binder = mix["cement"] + mix["slag"] + mix["fly_ash"]
    assert mix["water"] / binder <= limits["max_water_binder"] + 1e-3
    assert binder >= limits["min_binder_kg"] - 0.5
    unknown = client.post("/v1/advise", json={"strength_target_mpa": 25.0, "exposure_class": "XZ"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"][-1] == "exposure_class"


def test_a_target_no_supported_mix_reaches_is_a_clear_422(client):
    answer = client.post("/v1/advise", json={"strength_target_mpa": 120.0})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("strength_target_mpa:")
    highest = float(detail.split("reaches is ")[1].split(" MPa")[0])
    assert 20.0 < highest < 120.0


def test_model_info_names_the_artifacts_by_their_hashes(client, served):
    project, _ = served
    info = client.get("/v1/model").json()
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    outs = {o["path"]: o["md5"] for s in lock["stages"].values() for o in s.get("outs", [])}
    assert info["dvc_lock"]["data/champions"] == outs["data/champions"]
    for target in (CO2, STRENGTH):
        path = project / "data" / "champions" / f"{target}.skops"
        assert info["models"][target]["md5"] == hashlib.md5(path.read_bytes()).hexdigest()
        assert info["models"][target]["test_metrics"]["rmse"] > 0
    assert client.get("/v1/health").json()["status"] == "ok"


def test_every_request_is_logged_with_its_response(client, served):
    client.post("/v1/predict", json={"rows": [training_row(served[1])]})
    client.post("/v1/predict", json={"rows": [{"cement": "x"}]})
    client.get("/v1/health")
    latest = client.get("/v1/requests?limit=3").json()["rows"]
    assert [r["endpoint"] for r in latest] == ["/v1/health", "/v1/predict", "/v1/predict"]
    assert [r["status"] for r in latest] == [200, 422, 200]
    assert json.loads(latest[1]["request_body"]) == {"rows": [{"cement": "x"}]}
    assert json.loads(latest[2]["response_body"])["rows"][0]["predictions"]
    assert latest[0]["model_hashes"] == {"t": "hash"}
    assert all(r["latency_ms"] > 0 and not math.isnan(r["latency_ms"]) for r in latest)
    assert client.log.count() == 4  # the three and the /v1/requests read itself


def test_a_log_that_cannot_write_answers_503_not_a_silent_200(client, served):
    with client.log.engine.begin() as connection:
        connection.execute(text("DROP TABLE request_log"))
    answer = client.post("/v1/predict", json={"rows": [training_row(served[1])]})
    assert answer.status_code == 503
    assert "request log" in answer.json()["detail"]


def test_the_page_advises_and_predicts_and_shows_errors_by_field(client, served):
    page = client.get("/")
    assert page.status_code == 200 and 'id="advise-form"' in page.text
    advised = client.get("/?form=advise&strength_target_mpa=30&ambient_temp_c=10")
    assert advised.status_code == 200 and 'id="advice"' in advised.text
    wrong = client.get("/?form=advise&strength_target_mpa=abc")
    assert wrong.status_code == 422 and "strength_target_mpa" in wrong.text
    row = training_row(served[1])
    query = "&".join(f"{k}={v}" for k, v in row.items())
    predicted = client.get(f"/?form=predict&{query}")
    assert predicted.status_code == 200 and "predict-strength_mpa" in predicted.text
    assert 'id="advice-chart"' in advised.text and "reference" in advised.text


def test_while_an_advice_runs_the_api_and_the_page_both_say_busy(client, served):
    """One advisor behind both doors: the page's search no longer waits behind the API's."""
    with served[1].advisor.searching.held():
        api = client.post("/v1/advise", json={})
        page = client.get("/?form=advise")
    assert api.status_code == 429 and api.headers["retry-after"].isdigit()
    assert page.status_code == 429 and "another advice" in page.text
    assert client.post("/v1/advise", json={}).status_code == 200


def test_the_page_labels_units_holds_inputs_to_ranges_and_draws_charts(client, served):
    """Labels carry units, numbers are held to the field's declared range, categories
    are a list of their levels, the champions' status is shown, a prediction is drawn
    as its contributions (server-side SVG)."""
    import re

    page = client.get("/").text
    assert "strength target (MPa)" in page and "cement (kg/m3)" in page
    assert "ambient temp (deg C)" in page and "transport (km)" in page
    cement = re.search(
        r'<input type="number" step="any" min="([^"]+)" max="([^"]+)" '
        r'name="cement" id="predict-cement"',
        page,
    )
    assert cement and float(cement[1]) == 0.0 and float(cement[2]) > 500
    assert re.search(
        r'<select name="cement_supplier" id="predict-cement_supplier">'
        r"<option>A</option>",
        page,
    )
    status = re.search(r'<table id="status">(.*?)</table>', page)[1]
    for model in served[1].art.champions.values():
        assert model.model in status
    assert "last refresh" in page and ("no drift" in status or "drift in" in status)
    row = training_row(served[1])
    query = "&".join(f"{k}={v}" for k, v in row.items())
    predicted = client.get(f"/?form=predict&{query}").text
    chart = re.search(r'<svg id="contributions-strength_mpa".*?</svg>', predicted)
    assert chart and chart[0].count("<rect") >= 5


def test_cheaper_explanations_give_the_same_predictions(client, served):
    rows = [training_row(served[1], i) for i in range(3)]
    exact = client.post("/v1/predict", json={"rows": rows}).json()["rows"]
    approx = client.post("/v1/predict", json={"rows": rows, "contributions": "approx"}).json()
    bare = client.post("/v1/predict", json={"rows": rows, "contributions": "none"}).json()
    for i, row in enumerate(exact):
        for target, got in row["predictions"].items():
            cheap = approx["rows"][i]["predictions"][target]
            assert cheap["prediction"] == pytest.approx(got["prediction"], abs=1e-4)
            total = cheap["constant"] + sum(cheap["contributions"].values())
            assert total == pytest.approx(cheap["prediction"], abs=1e-4)
            none = bare["rows"][i]["predictions"][target]
            assert none["prediction"] == pytest.approx(got["prediction"], abs=1e-4)
            assert none["contributions"] is None
            assert none["interval"] == pytest.approx(got["interval"], abs=1e-4)
    wrong = client.post("/v1/predict", json={"rows": rows, "contributions": "shap"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "contributions"
