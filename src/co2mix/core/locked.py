"""Artifacts read only once their bytes are the ones ``dvc.lock`` recorded.

A model file is a pickle: loading it runs whatever code it names. The pipeline's own
files are safe only if they are the files the pipeline wrote, so every model a stage or
the service loads is first read as bytes, hashed, and compared with the ``dvc.lock``
entry that names it (for a directory output, the ``.dir`` manifest in DVC's cache lists
each file's md5); only bytes that match are unpickled, from memory, so the file cannot
change between the check and the load. A file no entry names, or one that does not
match (planted in the cache by another branch, edited by hand, written by a stage run
outside ``dvc repro``), is refused unread, naming it and the expected hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from co2mix.core.errors import InputError


class NotLocked(InputError):
    """An artifact whose bytes are not the ones ``dvc.lock`` recorded."""


def repository_of(folder: Path) -> Path:
    """The repository ``folder`` is in (the nearest folder with ``.git`` or ``.dvc``),
    else ``folder`` itself."""
    folder = folder.resolve()
    for candidate in [folder, *folder.parents]:
        if (candidate / ".git").exists() or (candidate / ".dvc").exists():
            return candidate
    return folder


# libyaml's parser where PyYAML was built with it: the plant's dvc.lock (150 kB) took
# 0.46 s to parse in Python, once per model a stage loads (3.2 s of the design stage's 7)
LOCK_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def locked_outs(lock_text: bytes | str) -> dict[str, str]:
    """Every stage output of a ``dvc.lock``: path (relative to its folder) -> md5."""
    lock: Any = yaml.load(lock_text, Loader=LOCK_LOADER) or {}  # a safe loader: no tags
    return {
        str(out["path"]): str(out.get("md5", ""))
        for stage in lock.get("stages", {}).values()
        for out in stage.get("outs", [])
    }


def manifest_of(folder: Path) -> bytes:
    """A directory's manifest as DVC writes it (every file's md5 by relative path, in
    path order, as JSON): its md5 is the ``.dir`` hash ``dvc.lock`` records."""
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())
    entries = [{"md5": hashlib.md5(p.read_bytes()).hexdigest(), "relpath": r} for r, p in files]
    return json.dumps(entries).encode()


def _manifest(md5: str, cache: Path, folder: Path | None) -> list[dict[str, str]] | None:
    """The ``.dir`` manifest: from DVC's cache, else rebuilt from ``folder`` on disk if
    its hash is the recorded one (a project whose cache is elsewhere); None if neither."""
    cached = cache / "files" / "md5" / md5[:2] / md5[2:]
    if cached.exists():
        raw = cached.read_bytes()
    elif folder is not None and folder.is_dir():
        raw = manifest_of(folder)
    else:
        return None
    if hashlib.md5(raw).hexdigest() != md5.removesuffix(".dir"):
        return None
    entries: list[dict[str, str]] = json.loads(raw)
    return entries


def expected_md5(
    path: str, outs: dict[str, str], cache: Path, root: Path | None = None
) -> str | None:
    """The md5 ``dvc.lock`` records for ``path`` (relative to the lock's folder ``root``):
    its own entry, or its line in the ``.dir`` manifest of the directory output holding
    it (a manifest that is not the recorded one gives None)."""
    wanted = PurePosixPath(path)
    for out, md5 in outs.items():
        if PurePosixPath(out) == wanted and not md5.endswith(".dir"):
            return md5
        if md5.endswith(".dir") and PurePosixPath(out) in wanted.parents:
            entries = _manifest(md5, cache, root / out if root is not None else None)
            if entries is None:
                raise NotLocked(
                    f"{path}: the files of {out} are not the ones dvc.lock records (one was "
                    "changed, added or removed): refused unread (run dvc repro)"
                )
            inside = wanted.relative_to(PurePosixPath(out)).as_posix()
            found = [e["md5"] for e in entries if e.get("relpath") == inside]
            return found[0] if found else None
    return None


def checked_bytes(
    raw: bytes, path: str, outs: dict[str, str], cache: Path, root: Path | None = None
) -> bytes:
    """``raw`` (the content of ``path``) if its md5 is the one ``dvc.lock`` records;
    :class:`NotLocked` otherwise, before anything reads it."""
    expected = expected_md5(path, outs, cache, root)
    actual = hashlib.md5(raw).hexdigest()
    if expected is None:
        raise NotLocked(
            f"{path}: no dvc.lock entry records this file: refused unread (run dvc repro)"
        )
    if actual != expected:
        raise NotLocked(
            f"{path}: md5 {actual} is not the {expected} dvc.lock records: refused unread "
            "(changed since the pipeline wrote it: run dvc repro)"
        )
    return raw


def read_locked(path: Path, root: Path = Path(".")) -> bytes:
    """The bytes of ``path`` (relative to ``root``, the folder of its ``dvc.lock``),
    checked against that lock."""
    lock = root / "dvc.lock"
    if not lock.exists():
        raise NotLocked(f"{path}: no {lock} to check it against: refused unread (dvc repro)")
    cache = repository_of(root) / ".dvc" / "cache"
    raw = (root / path).read_bytes()
    return checked_bytes(raw, path.as_posix(), locked_outs(lock.read_bytes()), cache, root)
