"""A stage killed mid-run (SIGTERM and SIGKILL; while computing, and with its outputs
staged but not yet renamed) leaves every output as it was, its temporaries are gone
after the stage's next run, and the pipeline is clean afterwards.

Both moments are made exact by the stages' own pause points (``CO2MIX_FAILPOINT``):
``before_staging``, the work done in memory and nothing written (what a kill anywhere
in the computation leaves), and ``before_commit``, every output written to its
temporary and none renamed yet.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from co2mix.core.io import PAUSED_AT
from tests.helpers import run

STAGES = {
    "generate": ["stages/generate.py"],
    "prepare": ["stages/prepare.py"],
    "train": ["stages/train.py", "linear"],
}
SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}

pytestmark = pytest.mark.integration


def snapshot(project: Path) -> dict[str, str]:
    """Every output, metric and the lock by content (wall-clock timings left out)."""
    files = [project / "dvc.lock"]
    for top in ("data", "metrics"):
        files += [p for p in (project / top).rglob("*") if p.is_file()]
    return {
        str(p.relative_to(project)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in files
        if "timings" not in p.parts and not p.name.endswith(".tmp")
    }


def temporaries(project: Path) -> list[Path]:
    return [p for top in ("data", "metrics") for p in (project / top).rglob(".*.tmp")]


def start(project: Path, stage: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    full = dict(os.environ) | {"PYTHONPATH": str(project / "src")} | env
    command = [sys.executable, *STAGES[stage]]
    return subprocess.Popen(
        command, cwd=project, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def kill_while_writing(project: Path, stage: str, signum: int) -> subprocess.Popen[bytes]:
    """Killed with every output written to its temporary and none renamed yet."""
    process = start(project, stage, {"CO2MIX_FAILPOINT": "before_commit"})
    wait_for_pause(process, "before_commit")
    assert temporaries(project)
    process.send_signal(signum)
    return process


def kill_while_computing(project: Path, stage: str, signum: int) -> subprocess.Popen[bytes]:
    """Killed with its work done in memory and nothing written yet (the pause point
    ``before_staging``): a kill anywhere during the computation leaves the same state."""
    process = start(project, stage, {"CO2MIX_FAILPOINT": "before_staging"})
    wait_for_pause(process, "before_staging")
    assert not temporaries(project)
    process.send_signal(signum)
    return process


def wait_for_pause(process: subprocess.Popen[bytes], point: str, seconds: float = 120) -> None:
    """Until the stage says on stderr that it is waiting at ``point``; a stage that has
    not said so within ``seconds`` is killed, and the test fails naming the point."""
    assert process.stderr is not None
    deadline = threading.Timer(seconds, process.kill)
    deadline.start()
    said = []
    try:
        for line in process.stderr:  # ends when the stage says so, or at its exit
            said.append(line.decode())
            if said[-1].strip() == f"{PAUSED_AT} {point}":
                return
    finally:
        deadline.cancel()
    raise AssertionError(f"exited {process.wait()} before pausing at {point}:\n{''.join(said)}")


@pytest.mark.parametrize("moment", ["computing", "writing"])
@pytest.mark.parametrize("name", list(SIGNALS))
@pytest.mark.parametrize("stage", list(STAGES))
def test_a_killed_stage_loses_nothing_and_leaves_nothing(reproduced_copy, stage, name, moment):
    project, _ = reproduced_copy
    before = snapshot(project)
    kill = kill_while_writing if moment == "writing" else kill_while_computing
    process = kill(project, stage, SIGNALS[name])
    code = process.wait(timeout=60)
    assert code != 0
    if name == "SIGTERM" and moment == "writing":
        assert code == 128 + signal.SIGTERM  # ended through the stage's own exit...
        assert not temporaries(project)  # ...which discarded what it had staged
    if name == "SIGKILL" and moment == "writing":
        assert temporaries(project)  # no process survives SIGKILL to clean up
    assert snapshot(project) == before  # upstream, its own earlier outputs, the lock

    # the stage's next run removes the stale temporaries and writes the same outputs
    run([sys.executable, *STAGES[stage]], project)
    assert not temporaries(project)
    assert snapshot(project) == before
    repro = run(["dvc", "repro"], project).stdout
    assert "Running stage" not in repro
    assert "up to date" in run(["dvc", "status"], project).stdout
