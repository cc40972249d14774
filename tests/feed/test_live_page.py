"""The live page: its routes in-process, then in headless chromium with the producer,
the consumer and the service running as processes against a real redis-server."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

from fastapi.testclient import TestClient

from co2mix.feed.broker import connect
from co2mix.serving.app import create_app
from co2mix.serving.live import STATIC
from co2mix.serving.log import RequestLog
from tests.servers import serve_process, skip_or_fail


def test_the_vendored_chart_library_is_the_registrys_files():
    record = json.loads((STATIC / "uplot/VENDORED.json").read_text())
    for name, digest in record["sha256"].items():
        assert hashlib.sha256((STATIC / "uplot" / name).read_bytes()).hexdigest() == digest


def test_live_routes_page_script_and_status(served, broker, tmp_path):
    _, service = served
    log = RequestLog(f"sqlite:///{tmp_path / 'log.sqlite'}", {})
    app = create_app(service, log, stream=connect(broker.url))
    client = TestClient(app, base_url="http://127.0.0.1")
    page = client.get("/live")
    assert page.status_code == 200 and 'src="/static/uplot/uPlot.iife.min.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "script-src" not in client.get("/").headers["content-security-policy"]
    assert client.get("/static/live.js").status_code == 200
    assert client.get("/static/uplot/VENDORED.json").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    status = client.get("/v1/feed/status").json()
    assert status["tables"] == {"batches": 0, "lab_results": 0, "alarms": 0}
    assert status["stream"]["stream_length"] == 0


def _chromium():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or shutil.which("chromium-driver")
    if not browser or not driver:
        skip_or_fail("chromium and chromium-driver are not installed (apt-get install them)")
    return str(browser), str(driver)


def _co2mix(project, *args):
    env = dict(os.environ) | {"PYTHONPATH": str(project / "src")}
    command = [sys.executable, "-m", "co2mix", *args]
    return subprocess.Popen(command, cwd=project, env=env, stderr=subprocess.PIPE)


def test_the_live_page_gains_points_and_shows_the_supplier_alarm(served, broker, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = _chromium()
    project, _ = served
    database = f"sqlite:///{tmp_path / 'feed.sqlite'}"
    consumer = _co2mix(
        project, "feed", "consume", "--root", str(project), "--url", broker.url,
        "--sink", str(tmp_path / "sink"), "--database-url", database,
    )  # fmt: skip
    # the supplier's weaker cement from the first batch; 1,500 batches (about a hundred
    # days of the plant) in about 20 s
    producer = _co2mix(
        project, "feed", "produce", "--root", str(project), "--url", broker.url,
        "--scenario", "supplier", "--batches", "1500", "--rate", "500000",
    )  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1200"):
        options.add_argument(flag)
    try:
        with serve_process(project, "--database-url", database, "--feed", broker.url) as url:
            driver = webdriver.Chrome(service=DriverService(driver_path), options=options)
            try:
                driver.get(url + "/live")
                chart = driver.find_element(By.ID, "strength-chart")

                def points() -> int:
                    return int(chart.get_attribute("data-points") or 0)

                WebDriverWait(driver, 90).until(lambda _: points() > 0)
                first = points()
                WebDriverWait(driver, 90).until(lambda _: points() > first)
                WebDriverWait(driver, 120).until(
                    lambda d: d.find_elements(By.CSS_SELECTOR, "#alarms li.alarm")
                )
                alarm = driver.find_element(By.CSS_SELECTOR, "#alarms li.alarm").text
                assert "strength residual CUSUM (S down" in alarm
                assert int(chart.get_attribute("data-labs") or 0) > 0
                assert driver.find_elements(By.CSS_SELECTOR, "#strength-chart canvas")
                driver.save_screenshot(str(tmp_path / "live.png"))  # outside git and DVC
                assert (tmp_path / "live.png").stat().st_size > 10_000
            finally:
                driver.quit()
    finally:
        for process in (producer, consumer):
            process.terminate()
            process.wait(timeout=30)
    assert consumer.returncode == 0, consumer.stderr.read().decode() if consumer.stderr else ""
