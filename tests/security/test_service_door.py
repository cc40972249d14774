"""The service's door (issue 25): keys by scope, the hosts it answers to, the headers,
bounded bodies, errors that do not echo input or leak the database, and the log's
retention. Each attack tried against the app in process, on a reproduced project."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from co2mix.serving.app import create_app
from co2mix.serving.door import Access
from co2mix.serving.keys import KeyStore
from co2mix.serving.log import RequestLog, requests_table
from tests.test_serving_api import training_row

HOST = "http://127.0.0.1"  # an allowed host (serve.allowed_hosts)


@pytest.fixture
def door(served, tmp_path):
    """The app with two keys in its database: one for predictions, one for the log."""
    _, service = served
    log = RequestLog(f"sqlite:///{tmp_path / 'log.sqlite'}", {"t": "hash"})
    keys = KeyStore(log.engine)
    _, predict_key = keys.create("plant page", ["predict"])
    _, admin_key = keys.create("operator", ["admin"])
    app = create_app(service, log, Access(keys))
    with TestClient(app, base_url=HOST) as client:
        client.keys = keys  # type: ignore[attr-defined]
        client.log = log  # type: ignore[attr-defined]
        yield client, predict_key, admin_key
    log.close()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_no_key_is_401_the_wrong_scope_403_and_health_stays_open(door, served):
    client, predict_key, admin_key = door
    rows = {"rows": [training_row(served[1])]}
    assert client.get("/v1/health").status_code == 200
    missing = client.post("/v1/predict", json=rows)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert client.post("/v1/predict", json=rows, headers=bearer("co2mix_guess")).status_code == 401
    assert client.get("/v1/requests").status_code == 401
    assert client.get("/v1/requests", headers=bearer(predict_key)).status_code == 403
    assert client.post("/v1/predict", json=rows, headers=bearer(admin_key)).status_code == 403
    assert client.post("/v1/predict", json=rows, headers=bearer(predict_key)).status_code == 200
    basic = {"Authorization": f"Basic {predict_key}"}  # only the Bearer scheme carries a key
    assert client.post("/v1/predict", json=rows, headers=basic).status_code == 401
    assert client.get("/v1/model", headers=bearer(predict_key)).status_code == 200
    log = client.get("/v1/requests", headers=bearer(admin_key))
    assert log.status_code == 200 and log.json()["rows"]


def test_a_revoked_key_is_refused_and_the_database_keeps_no_key(door, served, monkeypatch):
    client, predict_key, _ = door
    monkeypatch.setattr("co2mix.serving.keys.CACHE_SECONDS", 0.0)
    listed = client.keys.listed()
    assert {k["name"] for k in listed} == {"plant page", "operator"}
    with client.log.engine.connect() as connection:
        stored = connection.execute(text("select digest from api_keys")).scalars().all()
    assert predict_key not in stored and all(len(d) == 64 for d in stored)
    plant = next(k["id"] for k in listed if k["name"] == "plant page")
    assert client.keys.revoke(plant) and not client.keys.revoke(plant)
    client.keys._cache.clear()
    answer = client.post(
        "/v1/predict", json={"rows": [training_row(served[1])]}, headers=bearer(predict_key)
    )
    assert answer.status_code == 401


def test_a_foreign_host_header_is_refused(door):
    client, _, _ = door
    # a DNS-rebinding page reaches 127.0.0.1 under its own name
    answer = client.get("/v1/health", headers={"Host": "evil.example"})
    assert answer.status_code == 400


def test_every_response_carries_the_security_headers(door):
    client, _, _ = door
    for path in ("/v1/health", "/login", "/"):
        headers = client.get(path, follow_redirects=False).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp
        assert "'unsafe-inline'" not in csp
    assert client.get("/docs").status_code == 404  # no CDN page unless --docs


def test_the_page_asks_for_a_key_and_works_after_signing_in(door, served):
    client, predict_key, admin_key = door
    first = client.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login"
    wrong = client.post("/login", data={"key": admin_key}, follow_redirects=False)
    assert wrong.status_code == 403 and "co2mix_key" not in wrong.cookies
    signed = client.post("/login", data={"key": predict_key}, follow_redirects=False)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = client.get("/")
    assert page.status_code == 200 and "Predict one row" in page.text


def test_an_oversize_body_is_refused_before_it_is_parsed(door):
    client, predict_key, _ = door
    cap = client.app.state.max_body_bytes
    declared = client.post(
        "/v1/predict",
        content=b"{" + b" " * cap + b"}",
        headers=bearer(predict_key) | {"Content-Type": "application/json"},
    )
    assert declared.status_code == 413 and "serve.max_body_bytes" in declared.text

    def streamed():  # no Content-Length: chunked
        for _ in range(cap // 1000 + 2):
            yield b" " * 1000

    chunked = client.post(
        "/v1/predict",
        content=streamed(),
        headers=bearer(predict_key) | {"Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


def test_a_422_names_the_field_without_echoing_the_input(door, served):
    client, predict_key, _ = door
    row = training_row(served[1]) | {"cement": "SECRET-" + "x" * 5000}
    answer = client.post("/v1/predict", json={"rows": [row]}, headers=bearer(predict_key))
    assert answer.status_code == 422
    assert "cement" in answer.text and "SECRET" not in answer.text


def test_the_log_keeps_truncated_bodies_and_a_database_failure_is_a_bare_503(door, served):
    client, predict_key, admin_key = door
    rows = {"rows": [training_row(served[1])] * 50}
    client.post("/v1/predict", json=rows, headers=bearer(predict_key))
    limit = client.app.state.log_body_bytes
    page = client.get("/v1/requests?limit=1", headers=bearer(admin_key)).json()
    [latest] = page["rows"]
    assert len(latest["request_body"].encode()) <= limit + 20  # + the truncation mark
    assert "truncated" in latest["request_body"]
    with client.log.engine.begin() as connection:
        connection.execute(text("drop table request_log"))
    failed = client.get("/v1/health")
    assert failed.status_code == 503
    detail = failed.json()["detail"]
    assert "request_log" not in detail and "sqlite" not in detail.lower()
    assert failed.json()["correlation_id"] in detail


def test_retention_purges_old_rows(door):
    client, _, _ = door
    for _ in range(3):
        client.get("/v1/health")
    log = client.log
    old = datetime.now(UTC) - timedelta(days=40)
    with log.engine.begin() as connection:
        connection.execute(update(requests_table).where(requests_table.c.id <= 2).values(at=old))
    assert log.purge(days=30) == 2
    assert log.count() == 1


def test_the_log_pages_with_a_byte_cap(door):
    client, _, admin_key = door
    for _ in range(5):
        client.get("/v1/health")
    first = client.get("/v1/requests?limit=2", headers=bearer(admin_key)).json()
    assert len(first["rows"]) == 2 and first["next_before"] is not None
    second = client.get(
        f"/v1/requests?limit=2&before={first['next_before']}", headers=bearer(admin_key)
    ).json()
    assert {r["id"] for r in first["rows"]}.isdisjoint(r["id"] for r in second["rows"])
    assert max(r["id"] for r in second["rows"]) < min(r["id"] for r in first["rows"])
    assert json.dumps(second)  # JSON throughout


def test_an_advise_flood_gets_429s_and_health_keeps_answering(served, tmp_path):
    """Forty advice requests at once: one computes, the others are told when to come
    back instead of parking forty threads; health is answered all along. (Its latency
    under the flood is measured by ``bench/bench_serve.py --flood``.)"""
    import asyncio

    import httpx

    from tests.servers import serve_process

    project, _ = served
    database = f"sqlite:///{tmp_path / 'requests.sqlite'}"

    async def flood(url: str) -> tuple[list[httpx.Response], list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            body = {"strength_target_mpa": 35.0}
            advice = [client.post("/v1/advise", json=body) for _ in range(40)]
            health = [client.get("/v1/health") for _ in range(20)]
            answers = await asyncio.gather(*advice, *health)
        return list(answers[:40]), list(answers[40:])

    with serve_process(project, "--database-url", database) as url:
        advice, health = asyncio.run(flood(url))
    statuses = [a.status_code for a in advice]
    assert set(statuses) <= {200, 429} and statuses.count(429) >= 1 and 200 in statuses
    assert all(a.headers["retry-after"].isdigit() for a in advice if a.status_code == 429)
    assert [h.status_code for h in health] == [200] * 20


def test_each_key_has_its_own_rate_limit(served, tmp_path):
    from co2mix.serving.door import RateLimit

    _, service = served
    log = RequestLog(f"sqlite:///{tmp_path / 'log.sqlite'}", {})
    keys = KeyStore(log.engine)
    _, busy = keys.create("busy", ["predict"])
    _, other = keys.create("other", ["predict"])
    app = create_app(service, log, Access(keys, RateLimit(rate=0.5, burst=3)))
    with TestClient(app, base_url=HOST) as client:
        answers = [client.get("/v1/model", headers=bearer(busy)) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1
        assert "serve.rate_limit_per_s" in answers[-1].json()["detail"]
        assert client.get("/v1/model", headers=bearer(other)).status_code == 200
        assert client.get("/v1/health").status_code == 200  # open, unlimited
    log.close()


def test_a_postgresql_log_that_goes_down_is_a_503_without_driver_text(served):
    """The log's server stopped under a running service: every request is a 503 whose
    body carries a correlation id, never the driver's message (host, port, user); the
    service answers again once nothing is asked of the dead server (health is logged
    too, so it is a 503 as well: fail-closed)."""
    import subprocess

    from tests.servers import _as_postgres, postgres_binaries, postgres_server

    _, service = served
    with postgres_server() as url:
        log = RequestLog(url, {"strength_mpa": "abc"})
        with TestClient(create_app(service, log), base_url=HOST) as client:
            row = training_row(service)
            assert client.post("/v1/predict", json={"rows": [row]}).status_code == 200
            with log.engine.connect() as connection:
                data = connection.execute(text("show data_directory")).scalar_one()
            stop = [str(postgres_binaries() / "pg_ctl"), "-D", data, "-m", "immediate", "stop"]
            subprocess.run(_as_postgres(stop), check=True, capture_output=True, timeout=60)
            for answer in (
                client.post("/v1/predict", json={"rows": [row]}),
                client.get("/v1/health"),
            ):
                assert answer.status_code == 503
                body = answer.json()
                assert body["correlation_id"] in body["detail"]
                port = url.rsplit(":", 1)[1].split("/")[0]
                for leak in ("postgres", "psycopg", "127.0.0.1", port, "co2mix@", "refused"):
                    assert leak not in answer.text.lower(), leak
        log.close()
