"""The fresh-data loop's tutorials run as written: batches from a drifted month through
the pipeline, and the same month through the live feed (docs/tutorials/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, git_commit, run, tutorial_script


@pytest.mark.integration
def test_the_fresh_data_tutorial_runs_as_written(reproduced_copy):
    project, _ = reproduced_copy
    git_commit(project, "run")
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
    git_commit(project, "run")
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
