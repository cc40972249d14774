"""The documentation (issue 29): a short README, a site that builds with --strict and
loads nothing from another host, reference pages generated from the code that cover
every params key, and a tutorial whose commands run as written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from co2mix.commands.docs_reference import field_comments, params_page
from tests.helpers import ROOT, copy_project, run


def test_the_readme_is_a_front_page():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    assert text.splitlines()[2:5] == [
        "```bash",
        "make repro   # creates .venv, installs the locked dependencies, runs every pipeline "
        "(dvc repro, side by side)",
        "make test    # creates .venv, installs the locked dependencies, runs the test suite "
        "(pytest)",
    ]
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        assert (ROOT / link).exists(), link


def test_the_site_builds_strict_and_offline(tmp_path):
    bin_dir = Path(sys.executable).parent
    run([str(bin_dir / "co2mix"), "docs-reference"], ROOT)
    built = subprocess.run(
        [str(bin_dir / "mkdocs"), "build", "--strict", "--quiet", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(bin_dir)},
        check=False,
    )
    assert built.returncode == 0, built.stderr
    pages = list((tmp_path / "site").rglob("*.html"))
    assert len(pages) > 25
    for page in pages:
        remote = re.findall(r'src="(https?://[^"]+)"', page.read_text())
        assert remote == [], (page, remote)
    params = (tmp_path / "site/reference/params.html").read_text()
    assert "forecast.weather_error_c" in params


def leaves(node: object, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for k, v in node.items() for leaf in leaves(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")]


def test_the_params_reference_lists_every_key_of_every_params_file():
    page = params_page(ROOT)
    documented = re.findall(r"^\| `([^`]+)` \|", page, flags=re.MULTILINE)
    files = [ROOT / "params.yaml", *sorted(ROOT.glob("profiles/*/params.yaml"))]
    for path in files:
        for key in leaves(yaml.safe_load(path.read_text())):
            parts = key.split(".")
            # a key inside a mapping-typed field (data.ranges.cement) is that field's
            covered = any(".".join(parts[:n]) in documented for n in range(len(parts), 0, -1))
            assert covered, f"{path.name}: {key}"


def test_a_field_comment_in_the_model_is_its_description():
    class Example(BaseModel):
        plain: int
        said: float  # what the model says of it
        # said above it, over
        # two lines
        above: str

    comments = field_comments(Example)
    assert comments == {
        "said": "what the model says of it",
        "above": "said above it, over two lines",
    }
    page = params_page(ROOT)
    row = next(line for line in page.splitlines() if line.startswith("| `prepare.outliers` |"))
    assert "implausible rows" in row  # the comment on Prepare.outliers in core/params.py


def bash_blocks(path: Path) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.DOTALL)


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
def test_the_api_reference_is_the_services_own_schema(reproduced, tmp_path):
    from co2mix.commands.docs_reference import api_page

    project, _ = reproduced
    page = api_page(project)
    for route in ("POST /v1/predict", "POST /v1/advise", "GET /v1/forecast", "GET /v1/requests"):
        assert f"## `{route}`" in page, route
    assert "`cement_supplier` one of `A`, `B`, `C`" in page  # levels from the training rows
    assert "Not generated" in api_page(tmp_path)  # no artifacts: says so, builds anyway


@pytest.mark.integration
def test_the_experiments_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "run"], project)
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


def tutorial_script(path: Path) -> str:
    """A tutorial's bash and python blocks, in order, as one bash script (a python block
    runs as ``python -`` with what the bash blocks exported)."""
    parts = []
    for kind, body in re.findall(r"```(bash|python)\n(.*?)```", path.read_text(), flags=re.DOTALL):
        parts.append(body if kind == "bash" else f"python - <<'PYTHON'\n{body}PYTHON\n")
    return "\n".join(parts)


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
def test_the_fresh_data_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "run"], project)
    run(
        ["bash", "-euo", "pipefail", "-c", tutorial_script(ROOT / "docs/tutorials/fresh-data.md")],
        project,
    )
    table = (project / "loop.md").read_text()
    header, _, *rows = [line for line in table.splitlines() if line.strip()]
    names = [cell.strip() for cell in header.strip("|").split("|")]
    drifted = [
        dict(zip(names, (c.strip() for c in row.strip("|").split("|")), strict=True))
        for row in rows
        if "supplier" in row
    ]
    assert len(drifted) == 1
    [record] = drifted
    assert record[next(n for n in names if n.endswith("drift_detected"))] == "True"
    assert record[next(n for n in names if n.endswith("strength_mpa.decision"))] == "refreshed"


@pytest.mark.integration
def test_the_live_feed_tutorial_runs_as_written(reproduced_copy):
    from tests.servers import skip_or_fail

    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    project, _ = reproduced_copy
    before = _champion_md5(project)
    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "run"], project)
    script = tutorial_script(ROOT / "docs/tutorials/live-feed.md")
    said = run(["bash", "-euo", "pipefail", "-c", script], project).stdout
    print(said)  # the alarms, the decision and the ratio: pytest -s shows them
    assert "decision: refreshed" in said
    ratio = float(said.split("RMSE/sigma on the latest rows:")[1].split()[0])
    assert ratio <= 1.15
    assert "strength residual CUSUM|S down" in said  # the monitor saw the weaker cement
    served = json.loads((project / "served.json").read_text())
    after = _champion_md5(project)
    assert after != before
    assert served["models"]["strength_mpa"]["md5"] == after


def _champion_md5(project: Path) -> str:
    """The published strength champion file's md5 (as DVC's cache names it)."""
    import hashlib

    return hashlib.md5((project / "data/champions/strength_mpa.skops").read_bytes()).hexdigest()


@pytest.mark.integration
def test_the_forecast_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "run"], project)
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
