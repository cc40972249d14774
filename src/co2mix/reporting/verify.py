"""``co2mix verify``: do the reproduced results match the committed ones, within tolerance?

Compares every committed metrics file (``metrics/`` and ``profiles/*/metrics/``, JSON
leaf by leaf, CSV cell by cell) at a git revision (HEAD unless told) with the file in
the working tree, within the tolerances of :mod:`co2mix.reporting.tolerances`, and
every ``dvc.lock``: commands, params and the hashes of the dependencies no stage
writes (code, the params file, input data) must match exactly; what a stage writes
(models, data) may hash differently on another CPU, and its metrics are what count.

Prints a table of every value that moved (and by how much), then one verdict line;
exit 0 when everything reproduces, 1 when something does not.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from co2mix.reporting.markdown import table
from co2mix.reporting.tolerances import tolerance_for

RESULT_GLOBS = (
    "metrics/*.json",
    "metrics/*.csv",
    "profiles/*/metrics/*.json",
    "profiles/*/metrics/*.csv",
)
LOCK_GLOBS = ("dvc.lock", "profiles/*/dvc.lock")


@dataclass(frozen=True)
class Moved:
    """One leaf whose reproduced value differs from the committed one."""

    file: str
    key: str
    committed: Any
    reproduced: Any
    allowed: float | None  # None: not a number, must be equal
    ok: bool

    @property
    def relative(self) -> float | None:
        if not (_numeric_leaf(self.committed) and _numeric_leaf(self.reproduced)):
            return None
        scale = max(abs(self.committed), abs(self.reproduced))
        return abs(self.reproduced - self.committed) / scale if scale else 0.0


def _numeric_leaf(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare_leaf(file: str, key: str, committed: Any, reproduced: Any) -> Moved | None:
    """None when equal; else how it moved and whether the declared tolerance allows it."""
    if committed == reproduced and type(committed) is type(reproduced):
        return None
    if not (_numeric_leaf(committed) and _numeric_leaf(reproduced)):
        return Moved(file, key, committed, reproduced, None, False)
    tol = tolerance_for(file, key)
    allowed = max(tol.relative * max(abs(committed), abs(reproduced)), tol.absolute)
    ok = abs(reproduced - committed) <= allowed * (1 + 1e-9)
    return Moved(file, key, committed, reproduced, allowed, ok)


def leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON value as ``{dotted key: leaf}`` (list items as ``key[i]``)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out |= leaves(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, list):
        out = {}
        for i, v in enumerate(obj):
            out |= leaves(v, f"{prefix}[{i}]")
        return out
    return {prefix: obj}


def _cell(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def csv_leaves(text: str) -> dict[str, Any]:
    """A CSV's cells as ``{"<row>.<column>": value}`` (numbers parsed, row 0 first)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    return {f"{i}.{col}": _cell(v) for i, row in enumerate(rows) for col, v in row.items()}


def file_leaves(path: str, text: str) -> dict[str, Any]:
    return csv_leaves(text) if path.endswith(".csv") else leaves(json.loads(text))


def compare_file(path: str, committed: str | None, reproduced: str | None) -> list[Moved]:
    """Every leaf of one results file that moved; a missing file is one entry."""
    if committed is None or reproduced is None:
        return [Moved(path, "(file)", committed is not None, reproduced is not None, None, False)]
    before, after = file_leaves(path, committed), file_leaves(path, reproduced)
    moved = []
    for key in sorted(before.keys() | after.keys()):
        missing = "(missing)"
        m = compare_leaf(path, key, before.get(key, missing), after.get(key, missing))
        if m is not None:
            moved.append(m)
    return moved


# ------------------------------------------------------------------ dvc.lock


def _is_written(path: str, written: set[str]) -> bool:
    """A stage writes ``path``, something inside it, or the folder it is in."""
    return any(
        path == out or path.startswith(f"{out}/") or out.startswith(f"{path}/") for out in written
    )


def _lock_stage_view(stage: dict[str, Any], written: set[str]) -> dict[str, Any]:
    """What must match exactly: command, params, the hashes of deps no stage writes."""
    deps = {
        d["path"]: d.get("md5") or d.get("hash")
        for d in stage.get("deps", [])
        if not _is_written(d["path"], written)
    }
    return {
        "cmd": stage.get("cmd"),
        "params": stage.get("params", {}),
        "deps": deps,
        "outs": sorted(o["path"] for o in stage.get("outs", [])),
    }


def compare_lock(path: str, committed: str | None, reproduced: str | None) -> list[Moved]:
    if committed is None or reproduced is None:
        return [Moved(path, "(file)", committed is not None, reproduced is not None, None, False)]
    before, after = yaml.safe_load(committed) or {}, yaml.safe_load(reproduced) or {}
    stages_before, stages_after = before.get("stages", {}), after.get("stages", {})
    written = {
        o["path"]
        for stages in (stages_before, stages_after)
        for s in stages.values()
        for o in s.get("outs", [])
    }
    moved = []
    for name in sorted(stages_before.keys() | stages_after.keys()):
        a = _lock_stage_view(stages_before.get(name, {}), written)
        b = _lock_stage_view(stages_after.get(name, {}), written)
        for part in ("cmd", "params", "outs"):
            if a[part] != b[part]:
                moved.append(Moved(path, f"{name}.{part}", "(committed)", "(differs)", None, False))
        for dep in sorted(a["deps"].keys() | b["deps"].keys()):
            if a["deps"].get(dep) != b["deps"].get(dep):
                key = f"{name}.deps.{dep}"
                moved.append(Moved(path, key, a["deps"].get(dep), b["deps"].get(dep), None, False))
    return moved


# ------------------------------------------------------------------ the files


def _git(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def committed_files(rev: str, root: Path, globs: tuple[str, ...]) -> list[str]:
    """The files at ``rev`` matching ``globs`` (``*`` crosses folders, as in fnmatch)."""
    listed = _git(["ls-tree", "-r", "--name-only", rev], root)
    if listed.returncode != 0:
        raise SystemExit(f"co2mix verify: --against {rev!r}: {listed.stderr.strip()}")
    return [p for p in listed.stdout.splitlines() if any(fnmatchcase(p, g) for g in globs)]


def _at(rev: str, path: str, root: Path) -> str | None:
    shown = _git(["show", f"{rev}:{path}"], root)
    return shown.stdout if shown.returncode == 0 else None


def _now(path: str, root: Path) -> str | None:
    file = root / path
    return file.read_text() if file.exists() else None


Source = Callable[[str], str | None]  # a results file's text by path, None if absent


def compare(results: list[str], locks: list[str], before: Source, after: Source) -> list[Moved]:
    """Every moved leaf of the ``results`` files and the ``locks``, ``before`` to ``after``."""
    moved: list[Moved] = []
    for path in results:
        moved += compare_file(path, before(path), after(path))
    for path in locks:
        moved += compare_lock(path, before(path), after(path))
    return moved


def verify(rev: str, root: Path) -> tuple[list[Moved], int]:
    """Every moved leaf of every results file and lock committed at ``rev`` against the
    working tree; and how many files were compared."""
    results = committed_files(rev, root, RESULT_GLOBS)
    locks = committed_files(rev, root, LOCK_GLOBS)
    moved = compare(results, locks, lambda p: _at(rev, p, root), lambda p: _now(p, root))
    return moved, len(results) + len(locks)


def compare_trees(before: Path, after: Path) -> tuple[list[Moved], int]:
    """The same check between two project trees (the stability test: a run against a
    run on perturbed data); the files are those ``before`` has."""
    found = [
        str(f.relative_to(before))
        for f in sorted(before.rglob("*"))
        if f.is_file() and ".dvc" not in f.parts and "data" not in f.parts
    ]
    results = [p for p in found if any(fnmatchcase(p, g) for g in RESULT_GLOBS)]
    locks = [p for p in found if any(fnmatchcase(p, g) for g in LOCK_GLOBS)]
    moved = compare(results, locks, lambda p: _now(p, before), lambda p: _now(p, after))
    return moved, len(results) + len(locks)


def _fmt(value: Any) -> str:
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def report(moved: list[Moved], files: int) -> str:
    rows = [
        [
            "ok" if m.ok else "FAIL",
            f"{m.file}",
            m.key,
            _fmt(m.committed),
            _fmt(m.reproduced),
            "" if m.relative is None else f"{m.relative:.2e}",
            "exact" if m.allowed is None else f"{m.allowed:.2e}",
        ]
        for m in moved
    ]
    failed = sum(not m.ok for m in moved)
    lines = (
        table(["", "file", "key", "committed", "reproduced", "rel. diff", "allowed"], rows)
        if rows
        else []
    )
    verdict = (
        f"co2mix verify: {files} files, {len(moved)} values moved, all within tolerance"
        if not failed
        else f"co2mix verify: {files} files, {failed} of {len(moved)} moved values out of tolerance"
    )
    return "\n".join([*lines, "", verdict] if lines else [verdict])


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """``co2mix verify``'s options (the command line itself is :mod:`co2mix.cli`)."""
    parser.add_argument("--against", default="HEAD", help="the committed revision (HEAD)")
    parser.add_argument("--root", type=Path, default=Path("."), help="the project directory")


def verify_command(args: argparse.Namespace) -> int:
    moved, files = verify(args.against, args.root)
    print(report(moved, files))
    return 1 if any(not m.ok for m in moved) else 0
