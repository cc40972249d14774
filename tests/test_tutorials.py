"""The tutorials (docs/tutorials/) run as written, in a copy of the project: a CSV of
one's own, experiments, serving and the forecast. The fresh-data loop's two tutorials are
in test_tutorials_loop.py."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.helpers import ROOT, bash_blocks, copy_project, git_commit, run, tutorial_script


@pytest.mark.integration
def test_the_csv_tutorial_runs_as_written(tmp_path):
    project = copy_project(tmp_path)
    (project / "profiles/diamonds").mkdir(parents=True)  # DVC parses every dvc.yaml there
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy2(ROOT / "profiles/diamonds" / name, project / "profiles/diamonds" / name)
    run(["git", "init", "-q", "-b", "main"], project)
    run(["dvc", "init", "-q"], project)
    outputs = []
    for block in bash_blocks(ROOT / "docs/tutorials/csv.md"):
        outputs.append(run(["bash", "-euo", "pipefail", "-c", block], project).stdout)
    champion, rmse = outputs[-1].split()
    assert champion in {"linear", "poly2", "xgboost", "gp"} and 40 < float(rmse) < 70


@pytest.mark.integration
def test_the_experiments_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    git_commit(project, "run")
    for block in bash_blocks(ROOT / "docs/tutorials/experiments.md"):
        run(["bash", "-euo", "pipefail", "-c", block], project)
    table = (project / "experiments.md").read_text()
    rmse = {}
    for line in table.splitlines()[2:]:
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rmse[cells[1]] = float(cells[0])
    assert rmse["['0', '0']"] < rmse["['0.5', '0.2']"] < rmse["['1', '0.4']"]


@pytest.mark.integration
def test_the_serve_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    script = tutorial_script(ROOT / "docs/tutorials/serve.md")
    result = run(["bash", "-euo", "pipefail", "-c", script], project)
    prediction = json.loads((project / "prediction.json").read_text())
    strength = prediction["rows"][0]["predictions"]["strength_mpa"]
    assert 10 < strength["prediction"] < 80 and strength["contributions"]
    days = [line.split() for line in result.stdout.splitlines() if line.startswith("20")]
    assert len(days) == 7 and all(float(lo) <= float(f) <= float(hi) for _, f, lo, hi in days)


@pytest.mark.integration
def test_the_forecast_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    git_commit(project, "run")
    script = tutorial_script(ROOT / "docs/tutorials/forecast.md")
    said = run(["bash", "-euo", "pipefail", "-c", script], project).stdout
    assert "served: ensemble" in said and "model: ensemble" in said
    for series in ("co2_t", "heating_energy_kwh", "batches"):
        assert f"{series}: MASE " in said
    day = re.compile(r"^20\S+ +(\S+) kWh +\(80 %: (\S+) to (\S+)\)$", flags=re.MULTILINE)
    days = [[float(v) for v in found] for found in day.findall(said)]
    assert len(days) == 7 and all(lo <= f <= hi for f, lo, hi in days)
    assert "hours: 48, of them working: " in said and "peak: " in said
    record = json.loads((project / "metrics/forecast.json").read_text())
    assert record["served"] == "ets"  # the experiment's results are in the workspace
    assert "served.mase" in (project / "served-diff.md").read_text()
