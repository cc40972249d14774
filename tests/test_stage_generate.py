"""The generate stage as a user runs it: the script, and `dvc repro` in a fresh repository."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.helpers import run, set_key, write_params

pytestmark = pytest.mark.integration
OUTPUTS = (
    "data/raw/reference.parquet",
    "data/raw/current.parquet",
    "data/raw/truth.json",
    "metrics/generate.json",
)


def digests(project: Path) -> dict[str, str]:
    return {name: hashlib.sha256((project / name).read_bytes()).hexdigest() for name in OUTPUTS}


def test_same_params_give_byte_identical_outputs_and_another_seed_does_not(project, raw_params):
    run(["python", "stages/generate.py"], project)
    first = digests(project)
    run(["python", "stages/generate.py"], project)
    assert digests(project) == first

    write_params(project, set_key(raw_params, "generate.seed", 43))
    run(["python", "stages/generate.py"], project)
    changed = digests(project)
    assert all(changed[name] != first[name] for name in OUTPUTS)

    metrics = json.loads((project / "metrics/generate.json").read_text())
    assert metrics["reference"]["rows"] >= 20000
    assert set(metrics["reference"]["faults"]) == {
        "null_cells",
        "spike_cells",
        "tampered_runs",
        "tampered_cells",
        "duplicate_rows",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("generate.reference.rows", -1),
        ("generate.faults.duplicate_rate", 2.0),
        ("generate.current.scenario", "monsoon"),
        ("generate.noise.strength_sigma", "2.5"),
    ],
)
def test_bad_params_exit_non_zero_naming_the_key_and_keep_earlier_outputs(
    project, raw_params, key, value
):
    run(["python", "stages/generate.py"], project)
    before = digests(project)
    write_params(project, set_key(raw_params, key, value))
    result = run(["python", "stages/generate.py"], project, check=False)
    assert result.returncode == 2
    assert key.removeprefix("generate.") in result.stderr
    assert "Traceback" not in result.stderr
    assert digests(project) == before
    leftovers = [p.name for p in project.rglob("*.tmp")]
    assert leftovers == []


def test_missing_key_writes_nothing(project, raw_params):
    raw = set_key(raw_params, "generate.faults", dict(raw_params["generate"]["faults"]))
    del raw["generate"]["faults"]["null_rate"]
    write_params(project, raw)
    result = run(["python", "stages/generate.py"], project, check=False)
    assert result.returncode == 2
    assert "missing key generate.faults.null_rate" in result.stderr
    assert not (project / "data").exists()
    assert not (project / "metrics").exists()


def test_dvc_repro_runs_the_stage_once_then_has_nothing_to_do(project, raw_params):
    small = set_key(raw_params, "generate.reference.rows", 3000)
    write_params(project, set_key(small, "generate.current.rows", 1000))
    run(["git", "init", "-q"], project)
    run(["dvc", "init", "-q"], project)

    first = run(["dvc", "repro", "generate"], project)
    assert "Running stage 'generate'" in first.stdout
    assert all((project / name).exists() for name in OUTPUTS)

    second = run(["dvc", "repro", "generate"], project)
    assert "Running stage" not in second.stdout
    assert "Data and pipelines are up to date" in second.stdout

    write_params(project, set_key(small, "generate.current.scenario", "winter"))
    third = run(["dvc", "repro", "generate"], project)
    assert "Running stage 'generate'" in third.stdout
    status = run(["dvc", "status", "generate"], project)
    assert "up to date" in status.stdout
