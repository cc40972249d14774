"""The documentation (issue 29): a short README, a site that builds with --strict and
loads nothing from another host, reference pages generated from the code that cover
every params key. The tutorials' commands run as written in test_tutorials.py and
test_tutorials_loop.py (two files: pytest-xdist gives each file to one worker)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from co2mix.commands.docs_reference import field_comments, params_page
from tests.helpers import ROOT, run


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


@pytest.mark.integration
def test_the_api_reference_is_the_services_own_schema(reproduced, tmp_path):
    from co2mix.commands.docs_reference import api_page

    project, _ = reproduced
    page = api_page(project)
    for route in ("POST /v1/predict", "POST /v1/advise", "GET /v1/forecast", "GET /v1/requests"):
        assert f"## `{route}`" in page, route
    assert "`cement_supplier` one of `A`, `B`, `C`" in page  # levels from the training rows
    assert "Not generated" in api_page(tmp_path)  # no artifacts: says so, builds anyway
