"""Writing stage outputs so that a failed run leaves no half-written file behind.

Outputs are written to temporary files beside their targets and renamed into place
only when the whole stage has succeeded; on any error the temporaries are removed
and the previous outputs stay as they were.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from co2mix.core.errors import InputError

PAUSED_AT = "co2mix: paused at"  # a pause point's line on stderr (CO2MIX_FAILPOINT)


def read_parquet(path: str | Path, stage_hint: str = "") -> pd.DataFrame:
    """Read a stage input; a missing or unreadable file is an :class:`InputError` naming it."""
    path = Path(path)
    if not path.exists():
        hint = f" (run the {stage_hint} stage first)" if stage_hint else ""
        raise InputError(f"{path}: file not found{hint}")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise InputError(f"{path}: not a readable parquet file: {exc}") from None


def first_non_number(values: pd.Series) -> Any:
    """The index label of the first value that is there but is not a number (None when
    every present value is one): what a refusal names, as a CSV line or a row."""
    bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
    return bad.idxmax() if bad.any() else None


def loads_json(text: str, where: str) -> Any:
    """JSON text decoded; invalid JSON is an :class:`InputError` naming ``where``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON: {exc}") from None


def read_json(path: str | Path) -> Any:
    """Read a JSON input, or None when the file does not exist."""
    path = Path(path)
    return loads_json(path.read_text(), str(path)) if path.exists() else None


def write_timing(path: Path, seconds: Mapping[str, float]) -> None:
    """Wall-clock seconds change every run: kept beside the data, never in metrics/."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_json({k: round(v, 3) for k, v in seconds.items()}))


def dumps_json(obj: Any, compact: bool = False) -> str:
    """Deterministic JSON: sorted keys, no NaN, a trailing newline."""
    if compact:
        return json.dumps(obj, sort_keys=True, allow_nan=False, separators=(",", ":")) + "\n"
    return json.dumps(obj, sort_keys=True, allow_nan=False, indent=2) + "\n"


class StagedOutputs:
    """Collects outputs as temporary files; :func:`staged_outputs` commits them."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def path_for(self, target: str | Path, suffix: str = ".tmp") -> Path:
        """A temporary path that becomes ``target`` on commit, for writers of their own."""
        return self._temp_for(target, suffix)

    def _temp_for(self, target: str | Path, suffix: str = ".tmp") -> Path:
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale(target, suffix)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
        os.close(fd)
        temp = Path(name)
        self._pending.append((temp, target))
        return temp

    def _remove_stale(self, target: Path, suffix: str) -> None:
        """Temporaries of ``target`` that a killed run left behind (SIGKILL runs no cleanup):
        the next run that writes ``target`` removes them."""
        ours = {temp for temp, _ in self._pending}
        stale = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}{re.escape(suffix)}")
        for path in target.parent.iterdir():
            if stale.fullmatch(path.name) and path not in ours:
                path.unlink(missing_ok=True)

    def parquet(self, frame: pd.DataFrame, target: str | Path) -> None:
        frame.to_parquet(self._temp_for(target), engine="pyarrow", index=False)

    def json(self, obj: Any, target: str | Path, compact: bool = False) -> None:
        self._temp_for(target).write_text(dumps_json(obj, compact))

    def text(self, text: str, target: str | Path) -> None:
        self._temp_for(target).write_text(text)

    def commit(self) -> None:
        """Rename every temporary into place, with SIGTERM and SIGINT held back until
        all are renamed: a stop request never leaves half the outputs new."""
        umask = os.umask(0)
        os.umask(umask)
        held = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for temp, target in self._pending:
                os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600 files; outputs are shared
                os.replace(temp, target)
            self._pending.clear()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)

    def discard(self) -> None:
        for temp, _ in self._pending:
            temp.unlink(missing_ok=True)
        self._pending.clear()


def _pause_at(point: str) -> None:
    """The kill tests' pause points (``CO2MIX_FAILPOINT``): ``before_staging``, the
    stage's work done and nothing written; ``before_commit``, every output written to its
    temporary and none renamed. Unset, nothing happens. The stage says on stderr that it
    has paused, so a test kills it there and not a moment before or after (a guess from
    its CPU time once let a fast stage run through its pause)."""
    if os.environ.get("CO2MIX_FAILPOINT") == point:
        print(f"{PAUSED_AT} {point}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("CO2MIX_FAILPOINT_SECONDS", "60")))


@contextmanager
def staged_outputs() -> Iterator[StagedOutputs]:
    """``with staged_outputs() as out: out.parquet(df, path) ...``: all or nothing."""
    outputs = StagedOutputs()
    _pause_at("before_staging")
    try:
        yield outputs
        _pause_at("before_commit")
    except BaseException:
        outputs.discard()
        raise
    outputs.commit()
