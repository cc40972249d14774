"""What the report reads besides this branch's files: git revisions and DVC's own diffs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from co2mix.core.errors import ReportError


def _run(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)


def resolve_base(base: str, root: Path) -> str:
    """The base commit's hash; a ref git does not know is a :class:`ReportError`."""
    result = _run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], root)
    if result.returncode != 0:
        raise ReportError(
            f"--base {base!r}: not a commit in this repository "
            "(fetch it first, e.g. git fetch origin main, or pass a branch, tag or hash)"
        )
    return result.stdout.strip()


def dvc_json(args: list[str], root: Path) -> dict[str, Any]:
    """Run ``dvc <args> --json``; DVC's own diff machinery, parsed."""
    result = _run([sys.executable, "-m", "dvc", *args, "--json"], root)
    if result.returncode != 0:
        raise ReportError(f"dvc {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout or "{}")


def git_file(rev: str, path: str, root: Path) -> str | None:
    """A file's text at ``rev``, or None when the base has no such file."""
    result = _run(["git", "show", f"{rev}:{path}"], root)
    return result.stdout if result.returncode == 0 else None


def git_head(root: Path) -> str:
    """This branch's short hash, or "workspace" outside a commit."""
    return _run(["git", "rev-parse", "--short", "HEAD"], root).stdout.strip() or "workspace"
