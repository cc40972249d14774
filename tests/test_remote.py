"""A shared DVC remote, proven against a real S3 endpoint: moto's server on 127.0.0.1.

One clone pushes every output and the run-cache; a second clone pulls and has nothing
to run. A branch with one changed param pushes its run; the second clone takes that
param and re-runs only the stage that reads it. What the remote's run-cache cannot do
here: restore a stage on another machine, because every stage also writes git-tracked
metrics (``cache: false``), whose contents ``dvc push`` does not send (the run-cache
entry arrives, its metrics files do not); on the machine that ran it, a stage is
restored from the run-cache (not evaluate and optimize: their plot data are plain
uncached outs, which keep a stage out of DVC's run-cache altogether). The remote
commands are the report workflow's (.github/workflows/report.yml).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml

from tests.helpers import ROOT, git_commit, run, set_key, write_params
from tests.servers import free_port

CREDENTIALS = {  # moto accepts any; a real remote takes them from the environment only
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_DEFAULT_REGION": "us-east-1",
}
BUCKET = "co2mix-remote"

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free port; yields its endpoint URL."""
    port = free_port()
    moto = Path(sys.executable).parent / "moto_server"
    log = tempfile.TemporaryFile()  # noqa: SIM115 (a file, not a pipe that could fill)
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=url, **_boto_credentials())
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def dvc(args: list[str], cwd: Path) -> str:
    os.environ.update(CREDENTIALS)  # the run() helper passes the environment on
    return run(["dvc", *args], cwd).stdout


def configure_remote(project: Path, endpoint: str) -> None:
    """The workflow's two remote commands (local config: never committed)."""
    dvc(["remote", "add", "--local", "--default", "ci", f"s3://{BUCKET}/store"], project)
    dvc(["remote", "modify", "--local", "ci", "endpointurl", endpoint], project)


def output_hashes(project: Path) -> dict[str, str]:
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return {o["path"]: o["md5"] for s in lock["stages"].values() for o in s.get("outs", [])}


def bucket_bytes(endpoint: str) -> tuple[int, int]:
    client = boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())
    sizes = [
        item["Size"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for item in page.get("Contents", [])
    ]
    return len(sizes), sum(sizes)


def test_push_pull_and_the_run_cache_through_an_s3_remote(reproduced_copy, tmp_path):
    project, raw = reproduced_copy
    git_commit(project, "pipeline run")
    with s3_server() as endpoint:
        configure_remote(project, endpoint)
        start = time.perf_counter()
        dvc(["push", "--run-cache"], project)
        pushed = time.perf_counter() - start
        objects, size = bucket_bytes(endpoint)
        assert objects > 10 and size > 100_000

        clone = tmp_path / "second"
        run(["git", "clone", "-q", str(project), str(clone)], tmp_path)
        configure_remote(clone, endpoint)
        start = time.perf_counter()
        dvc(["pull", "--run-cache", "--allow-missing"], clone)
        pulled = time.perf_counter() - start
        for path in output_hashes(project):
            assert (clone / path).exists(), path
        status = dvc(["status"], clone)
        assert "up to date" in status, status
        assert "Running stage" not in dvc(["repro"], clone)

        # a branch with one changed param: only the stage that reads it changes
        run(["git", "checkout", "-q", "-b", "change"], project)
        write_params(project, set_key(raw, "optimize.strength_target_mpa", 33.0))
        ran = dvc(["repro"], project)
        assert "Running stage 'optimize'" in ran and "Running stage 'design'" in ran
        assert "Running stage 'train" not in ran
        git_commit(project, "target 33")
        dvc(["push", "--run-cache"], project)

        # the second clone takes the branch's params but not its dvc.lock: only the
        # stages that read the param run, and they give the branch's outputs exactly
        run(["git", "fetch", "-q", "origin", "change"], clone)
        run(["git", "checkout", "FETCH_HEAD", "--", "params.yaml"], clone)
        dvc(["pull", "--run-cache", "--allow-missing"], clone)
        again = dvc(["repro", "--pull"], clone)
        assert again.count("Running stage") == 2
        assert "Running stage 'optimize'" in again and "Running stage 'design'" in again
        assert output_hashes(clone) == output_hashes(project)
        assert "up to date" in dvc(["status"], clone)

    # on the machine that ran it, a stage comes back from the local run-cache: check's
    # threshold changed and changed back re-runs nothing
    changed = set_key(raw, "optimize.strength_target_mpa", 33.0)
    write_params(project, set_key(changed, "check.false_alarm_rate", 0.01))
    assert "Running stage 'check'" in dvc(["repro"], project)
    write_params(project, changed)
    back = dvc(["repro"], project)
    assert "Stage 'check' is cached - skipping run" in back and "Running stage" not in back
    print(f"remote: push {pushed:.1f} s, pull {pulled:.1f} s, {objects} objects, {size} bytes")


def test_the_report_workflow_uses_the_commands_proven_here():
    """The workflow's remote steps are the commands the round trip above runs."""
    steps = yaml.safe_load((ROOT / ".github/workflows/report.yml").read_text())["jobs"]
    script = "\n".join(
        step.get("run", "") for job in steps.values() for step in job.get("steps", [])
    )
    for command in (
        'dvc remote add --local --default ci "$DVC_REMOTE_URL"',
        'dvc remote modify --local ci endpointurl "$AWS_ENDPOINT_URL"',
        "dvc pull --run-cache --allow-missing",
        "dvc repro --pull",
        "dvc push --run-cache",
    ):
        assert command in script, command
    assert "echo $AWS" not in script and "set -x" not in script  # credentials never echoed
