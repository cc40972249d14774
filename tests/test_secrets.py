"""No credentials in the repository: every file git tracks (workflows included) is
scanned for strings shaped like real keys and tokens, and the workflows never echo a
secret. The test's own fixtures use moto's placeholder "testing", which is no key."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.helpers import ROOT

KEY_SHAPES = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}\b", re.IGNORECASE
    ),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|github_pat_\w{60,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "Slack token": re.compile(r"\bxox[abpr]-[0-9A-Za-z-]{10,}"),
    "Azure storage key": re.compile(r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+]*://[^/\s:@'\"]+:[^/\s@'\"]{6,}@"),
}


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_no_tracked_file_holds_a_key_shaped_string():
    found = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        text = path.read_bytes().decode("utf-8", "ignore")
        for kind, shape in KEY_SHAPES.items():
            for match in shape.finditer(text):
                found.append(f"{name}: {kind}: {match.group(0)[:12]}...")
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("key = AKIA" + "ABCDEFGHIJKLMNOP", "AWS access key id"),
        ("-----BEGIN RSA " + "PRIVATE KEY-----", "private key"),
        ("token: ghp_" + "a" * 36, "GitHub token"),
        ("postgresql://user:" + "hunter22@db:5432/x", "password in a URL"),
    ],
)
def test_the_scan_would_catch_each_shape(text, kind):
    assert KEY_SHAPES[kind].search(text)


def test_the_workflows_never_print_a_secret():
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = workflow.read_text()
        for line in text.splitlines():
            if "secrets." in line:
                assert not re.search(r"\b(echo|printf|cat)\b", line), f"{workflow.name}: {line}"
        assert "set -x" not in text, workflow.name
