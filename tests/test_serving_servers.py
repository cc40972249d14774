"""``co2mix serve`` against real parts: its own process on a free port, another git
revision through dvc.api, a real PostgreSQL server, a real headless browser, and
property-based requests generated from the service's own OpenAPI spec."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from co2mix.serving.app import create_app
from co2mix.serving.artifacts import load_artifacts
from co2mix.serving.log import RequestLog
from tests.helpers import ROOT, git_commit, run
from tests.servers import postgres_server, serve_process, skip_or_fail
from tests.test_serving_api import training_row

SCREENSHOTS = ROOT / "build" / "screenshots"


def test_serve_runs_as_a_process_and_logs_every_request(served, tmp_path):
    project, service = served
    database = f"sqlite:///{tmp_path / 'requests.sqlite'}"
    with serve_process(project, "--database-url", database) as url:
        row = training_row(service)
        answers = [httpx.post(f"{url}/v1/predict", json={"rows": [row]}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        bad = httpx.post(f"{url}/v1/predict", json={"rows": [row | {"cement": -1.0}]})
        assert bad.status_code == 422
        logged = httpx.get(f"{url}/v1/requests?limit=10").json()["rows"]
    # the health polls while it started, three predictions, the bad one
    predictions = [r for r in logged if r["endpoint"] == "/v1/predict"]
    assert [r["status"] for r in predictions] == [422, 200, 200, 200]
    assert RequestLog(database, {}).count() >= 5


def test_startup_without_artifacts_says_run_dvc_repro_first(project):
    result = run(["python", "-m", "co2mix", "serve", "--root", str(project)], project, check=False)
    assert result.returncode == 2
    assert "run `dvc repro` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_another_revision_is_served_from_the_dvc_cache(reproduced_copy):
    project, _ = reproduced_copy
    git_commit(project, "run")
    committed = load_artifacts(project, rev="HEAD")
    # the working tree's outputs gone: the revision still serves, from the cache
    shutil.rmtree(project / "data" / "champions")
    with pytest.raises(Exception, match="run `dvc repro` first"):
        load_artifacts(project)
    again = load_artifacts(project, rev="HEAD")
    assert {t: m.md5 for t, m in again.champions.items()} == {
        t: m.md5 for t, m in committed.champions.items()
    }
    assert len(again.train) == len(committed.train)


def test_the_request_log_on_a_real_postgresql_server(served):
    _, service = served
    from fastapi.testclient import TestClient

    with postgres_server() as url:
        log = RequestLog(url, {"strength_mpa": "abc"})
        assert log.engine.dialect.name == "postgresql"
        with TestClient(create_app(service, log), base_url="http://127.0.0.1") as client:
            row = training_row(service)
            for _ in range(3):
                assert client.post("/v1/predict", json={"rows": [row]}).status_code == 200
            assert client.post("/v1/advise", json={"strength_target_mpa": 500}).status_code == 422
        assert log.count() == 4
        latest = log.latest(4)
        assert [r["status"] for r in latest] == [422, 200, 200, 200]
        assert latest[0]["model_hashes"] == {"strength_mpa": "abc"}
        log.close()


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or shutil.which("chromium-driver")
    if not browser or not driver:
        skip_or_fail("chromium and chromium-driver are not installed (apt-get install them)")
    return str(browser), str(driver)


def test_the_page_in_a_headless_browser(served, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = _chromium()
    project, _ = served
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"):
        options.add_argument(flag)
    database = f"sqlite:///{tmp_path / 'requests.sqlite'}"
    made = run(
        [
            "co2mix",
            "keys",
            "create",
            "--name",
            "browser",
            "--scope",
            "predict",
            *["--database-url", database],
        ],
        project,
    )
    key = made.stdout.strip().rsplit(" ", 1)[-1]
    with serve_process(project, "--database-url", database) as url:
        driver = webdriver.Chrome(service=DriverService(driver_path), options=options)
        try:
            driver.get(url + "/")  # no key yet: the login form
            assert driver.current_url.endswith("/login")
            driver.find_element(By.ID, "login-key").send_keys(key)
            driver.find_element(By.ID, "login-submit").click()
            WebDriverWait(driver, 10).until(
                expected_conditions.presence_of_element_located((By.ID, "advise-form"))
            )
            assert "co2mix_key" not in driver.page_source  # the cookie is HttpOnly
            target = driver.find_element(By.ID, "advise-strength_target_mpa")
            target.clear()
            target.send_keys("30")
            driver.find_element(By.ID, "advise-submit").click()
            WebDriverWait(driver, 30).until(
                expected_conditions.presence_of_element_located((By.ID, "advice"))
            )
            cut = float(driver.find_element(By.ID, "advice-cut").text.rstrip(" %"))
            assert 0.0 < cut < 100.0
            assert "Nearest real mix" in driver.find_element(By.ID, "advice").text
            assert driver.find_element(By.ID, "advice-chart").is_displayed()
            assert driver.find_element(By.ID, "status").is_displayed()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / "advise.png"
            assert driver.save_screenshot(str(shot))
            assert shot.stat().st_size > 10_000
            # a wrong value is shown next to its field's name, not a crash
            driver.get(url + "/?form=advise&strength_target_mpa=-3")
            assert "strength_target_mpa" in driver.find_element(By.ID, "errors").text
        finally:
            driver.quit()
        assert httpx.get(f"{url}/v1/requests").status_code == 401
    admin = run(
        ["co2mix", "keys", "create", "--name", "t", "--scope", "admin", "--database-url", database],
        project,
    )
    logged = RequestLog(database, {}).latest(50)
    assert any(r["endpoint"].startswith("/?form=advise") for r in logged)
    assert key not in str(logged) and admin.returncode == 0  # the login form's key: not logged


@pytest.fixture
def api(served, tmp_path):
    _, service = served
    app = create_app(service, RequestLog(f"sqlite:///{tmp_path / 'fuzz.sqlite'}", {}))

    async def as_loopback(scope, receive, send):  # schemathesis calls as "testserver"
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = {**scope, "headers": [*headers, (b"host", b"127.0.0.1")]}
        await app(scope, receive, send)

    return schemathesis.openapi.from_asgi("/openapi.json", as_loopback)


def test_no_generated_request_gets_a_server_error(api):
    """Requests generated from the OpenAPI spec (valid and invalid ones), 25 per
    operation: never a 5xx. (The ``schemathesis.pytest`` fixture loader does not run
    under pytest 9, so each operation's strategy is driven by Hypothesis here.)"""
    operations = [result.ok() for result in api.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/predict", "/v1/similar", "/v1/advise"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def never_5xx(case):
            case.call_and_validate(checks=[not_a_server_error])

        never_5xx()


def test_screenshot_path_is_outside_git_and_dvc():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/build/" in ignored
    assert Path("build/screenshots") == SCREENSHOTS.relative_to(ROOT)
