"""The check gate and determinism, through `dvc repro` in a throw-away repository."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run, set_key, small_pipeline, write_params

pytestmark = pytest.mark.integration


@pytest.fixture
def small_project(project, raw_params):
    raw = small_pipeline(raw_params)
    write_params(project, raw)
    run(["git", "init", "-q"], project)
    run(["dvc", "init", "-q"], project)
    return project, raw


def test_on_fail_stop_halts_before_prepare_and_warn_lets_it_run(small_project):
    project, raw = small_project
    broken = set_key(raw, "generate.current.scenario", "sensor_fault")
    write_params(project, set_key(broken, "check.on_fail", "stop"))

    stopped = run(["dvc", "repro"], project, check=False)
    assert stopped.returncode != 0
    assert "stopping the pipeline" in stopped.stderr
    metrics = json.loads((project / "metrics/check.json").read_text())
    assert metrics["integrity_ok"] is False
    assert (project / "data/reports/check.html").stat().st_size > 100_000
    assert not (project / "data/reports/check-gate.txt").exists()
    assert not (project / "data/prepared").exists()
    assert not (project / "metrics/prepare.json").exists()

    write_params(project, set_key(broken, "check.on_fail", "warn"))
    went_on = run(["dvc", "repro", "prepare"], project)
    assert "Running stage 'prepare'" in went_on.stdout
    assert (project / "data/prepared/train.parquet").exists()


def test_forced_rerun_reproduces_every_output_byte_for_byte(reproduced_copy):
    project, _ = reproduced_copy
    lock = (project / "dvc.lock").read_text()
    metrics = {p.name: p.read_text() for p in (project / "metrics").glob("*.json")}
    assert set(metrics) == {
        "generate.json",
        "check.json",
        "prepare.json",
        "evaluate.json",
        "explanations.json",
        "refresh.json",
        "design.json",
        "optimize.json",
        "forecast.json",
    }

    rerun = run(["dvc", "repro", "--force"], project)
    assert "Running stage 'check'" in rerun.stdout
    assert (project / "dvc.lock").read_text() == lock  # includes check.html's and parquet hashes
    assert {p.name: p.read_text() for p in (project / "metrics").glob("*.json")} == metrics


def test_a_threshold_change_reruns_check_but_not_prepare(reproduced_copy):
    project, raw = reproduced_copy
    write_params(project, set_key(raw, "check.thresholds.feature_drift", 0.2))
    again = run(["dvc", "repro"], project)
    assert "Running stage 'check'" in again.stdout
    assert "Running stage 'prepare'" not in again.stdout
    assert "Running stage 'generate'" not in again.stdout


def test_check_and_prepare_refuse_bad_input_naming_it(project, raw_params):
    missing = run(["python", "stages/check.py"], project, check=False)
    assert missing.returncode == 2
    assert "data/raw/reference.parquet: file not found (run the generate stage first)" in (
        missing.stderr
    )

    small = set_key(raw_params, "generate.reference.rows", 2000)
    small = set_key(small, "generate.current.rows", 500)
    write_params(project, small)
    run(["python", "stages/generate.py"], project)
    write_params(project, set_key(small, "check.features", ["cement", "slump_mm"]))
    result = run(["python", "stages/check.py"], project, check=False)
    assert result.returncode == 2
    assert "check.features names unknown column(s) ['slump_mm']" in result.stderr
    assert not (project / "metrics/check.json").exists()

    write_params(project, set_key(small, "prepare.knn_k", 0))
    result = run(["python", "stages/prepare.py"], project, check=False)
    assert result.returncode == 2
    assert "prepare.knn_k" in result.stderr
    assert not (project / "data/prepared").exists()


def test_changing_xgboost_trials_reruns_only_the_xgboost_cell_and_evaluate(reproduced_copy):
    project, fast = reproduced_copy
    evaluation = json.loads((project / "metrics/evaluate.json").read_text())
    assert set(evaluation) == {"co2_kg_m3", "strength_mpa"}
    assert (project / "data/champions/strength_mpa.skops").exists()

    write_params(project, set_key(fast, "train.xgboost.n_trials", 3))
    second = run(["dvc", "repro"], project)
    ran = sorted(
        line.split("'")[1] for line in second.stdout.splitlines() if "Running stage" in line
    )
    assert ran == ["evaluate", "train@xgboost"]
    metrics = json.loads((project / "metrics/train/xgboost.json").read_text())
    assert {m["trials"] for m in metrics.values()} == {3}
    assert set(metrics) == {"co2_kg_m3", "strength_mpa"}
