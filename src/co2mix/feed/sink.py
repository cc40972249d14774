"""The feed's parquet sink: every batch and lab result as it arrived, by day.

Layout: ``<root>/batches/day=YYYY-MM-DD/part-<first stream id>-<n>.parquet`` and the same
under ``labs/`` (the day of production, of measurement). A part is written to a temporary
name, flushed to disk and renamed: it is there whole or not at all. Writes are keyed by
batch id: the ids already in the sink are read once at startup and a redelivered record
whose id is among them is skipped, so a consumer killed between its writes and its
acknowledgement leaves every record exactly once. One consumer writes one sink (several
consumers of a group each need their own root).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

KINDS = {"batches": "produced_at", "labs": "measured_at"}  # kind -> the time that dates it


class Sink:
    def __init__(self, root: Path):
        self.root = root
        self.known = {kind: self._stored_ids(kind) for kind in KINDS}

    def _stored_ids(self, kind: str) -> set[int]:
        ids: set[int] = set()
        for part in sorted((self.root / kind).glob("day=*/part-*.parquet")):
            ids.update(pd.read_parquet(part, columns=["batch_id"])["batch_id"].astype(int))
        return ids

    def write(self, kind: str, rows: list[dict[str, Any]], tag: str) -> int:
        """The rows whose batch id is not in the sink yet, one part per day, named after
        ``tag`` (the chunk's first stream id); how many were new."""
        known = self.known[kind]
        fresh: dict[int, dict[str, Any]] = {}
        for row in rows:
            if row["batch_id"] not in known:
                fresh.setdefault(row["batch_id"], row)
        if not fresh:
            return 0
        table = pa.Table.from_pylist(list(fresh.values()))  # once: the days are slices
        days = pc.strftime(table[KINDS[kind]], format="%Y-%m-%d")
        for day in sorted(set(days.to_pylist())):
            folder = self.root / kind / f"day={day}"
            folder.mkdir(parents=True, exist_ok=True)
            _write_whole(table.filter(pc.equal(days, day)), folder / f"part-{tag}.parquet")
        known.update(fresh)
        return len(fresh)

    def read(self, kind: str) -> pd.DataFrame:
        """Every stored row of ``kind`` (none: an empty frame)."""
        parts = sorted((self.root / kind).glob("day=*/part-*.parquet"))
        if not parts:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def _write_whole(table: pa.Table, path: Path) -> None:
    """``path`` appears complete or not at all (a new name if one is taken)."""
    target, n = path, 1
    while target.exists():
        target = path.with_name(f"{path.stem}-{n}.parquet")
        n += 1
    temporary = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
