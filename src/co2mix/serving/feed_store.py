"""The live feed's tables in the service's database (the request log's: SQLite or
PostgreSQL, :func:`co2mix.serving.log.database_url`).

- ``batches``: each batch as scored at arrival, keyed by its id;
- ``lab_results``: each batch's strength test and its standardized residual, keyed by
  the batch id;
- ``alarms``: what a stream monitor raised (when, which monitor, its statistic, the
  threshold it crossed).

Writes are idempotent: a batch or lab result already stored is skipped (``ON CONFLICT DO
NOTHING``), so a redelivered message never makes a second row. The page reads the same
tables (:meth:`FeedStore.news`), whichever process wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

STREAM = "co2mix:plant"  # the plant's records, in production order
DEAD = "co2mix:plant:dead"  # records that cannot be used, with the reason
GROUP = "co2mix"  # the consumer group

metadata = MetaData()
batches_table = Table(
    "batches",
    metadata,
    Column("batch_id", BigInteger, primary_key=True, autoincrement=False),
    Column("produced_at", DateTime, nullable=False, index=True),
    Column("stream_id", String(40), nullable=False),
    Column("recipe", String(40), nullable=False),
    Column("cement_supplier", String(40), nullable=False),
    Column("co2_kg_m3", Float, nullable=False),  # measured at production
    Column("predicted_co2", Float, nullable=False),
    Column("co2_low", Float),
    Column("co2_high", Float),
    Column("predicted_strength", Float, nullable=False),
    Column("strength_low", Float),
    Column("strength_high", Float),
    Column("contributions", Text),  # JSON, when the consumer was asked for them
    Column("extra", Text, nullable=False),  # JSON: fields of a newer schema, kept
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)
labs_table = Table(
    "lab_results",
    metadata,
    Column("batch_id", BigInteger, primary_key=True, autoincrement=False),
    Column("measured_at", DateTime, nullable=False, index=True),
    Column("strength_mpa", Float, nullable=False),
    Column("residual_z", Float),  # (lab - predicted) / the champion's residual sd
    Column("extra", Text, nullable=False),
)
alarms_table = Table(
    "alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),  # plant time of the record that raised it
    Column("monitor", String(80), nullable=False),
    Column("statistic", String(80), nullable=False),
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("batch_id", BigInteger, nullable=False),
    # one alarm per monitor and triggering record: a replayed record does not repeat it
    Column("key", String(120), nullable=False, unique=True),
)


def stream_status(client: Any) -> dict[str, Any]:
    """The stream's length, the group's lag (entries not yet delivered) and pending count
    (delivered, not yet acknowledged), the dead letters; ``client`` is a redis-py client."""
    length = int(client.xlen(STREAM))
    groups = {g["name"].decode(): g for g in client.xinfo_groups(STREAM)} if length else {}
    info = groups.get(GROUP)
    dead = int(client.xlen(DEAD))
    if info is None:
        return {"stream_length": length, "lag": length, "pending": 0, "consumers": 0,
                "dead_letters": dead}  # fmt: skip
    behind = info.get("lag")
    return {
        "stream_length": length,
        "lag": int(behind) if behind is not None else None,
        "pending": int(info["pending"]),
        "consumers": int(info["consumers"]),
        "last_delivered": info["last-delivered-id"].decode(),
        "dead_letters": dead,
    }


class FeedStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        metadata.create_all(engine)

    def _insert_new(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        dialect = self.engine.dialect.name
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        if dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"the feed's tables need SQLite or PostgreSQL, not {dialect}")
        with self.engine.begin() as connection:
            connection.execute(make(table).on_conflict_do_nothing(), rows)

    def write(
        self,
        batches: list[dict[str, Any]],
        labs: list[dict[str, Any]],
        alarms: list[dict[str, Any]],
    ) -> None:
        """New rows of each table; rows whose key is stored already are skipped."""
        self._insert_new(batches_table, batches)
        self._insert_new(labs_table, labs)
        self._insert_new(alarms_table, alarms)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {
                table.name: int(
                    connection.execute(select(func.count()).select_from(table)).scalar_one()
                )
                for table in (batches_table, labs_table, alarms_table)
            }

    def batch_ids(self) -> list[int]:
        with self.engine.connect() as connection:
            return [int(r[0]) for r in connection.execute(select(batches_table.c.batch_id))]

    def tail_cursor(self, history: int) -> Cursor:
        """A cursor just before the latest ``history`` batches (with their lab results
        and every alarm after them)."""
        b = batches_table
        with self.engine.connect() as connection:
            ids = connection.execute(
                select(b.c.batch_id, b.c.produced_at).order_by(b.c.batch_id.desc()).limit(history)
            ).all()
        if not ids:
            return Cursor(-1, None, -1, 0)
        first, since = ids[-1]
        return Cursor(int(first) - 1, since, -1, 0)

    def news(self, cursor: Cursor, limit: int = 2000) -> tuple[dict[str, Any], Cursor]:
        """Batches, lab results and alarms after ``cursor`` (at most ``limit`` of each,
        oldest first) and the cursor after them."""
        b, lab, alarm = batches_table, labs_table, alarms_table
        with self.engine.connect() as connection:
            batches = connection.execute(
                select(
                    b.c.batch_id,
                    b.c.produced_at,
                    b.c.predicted_co2,
                    b.c.co2_low,
                    b.c.co2_high,
                    b.c.co2_kg_m3,
                    b.c.predicted_strength,
                    b.c.strength_low,
                    b.c.strength_high,
                )
                .where(b.c.batch_id > cursor.batch)
                .order_by(b.c.batch_id)
                .limit(limit)
            ).mappings()
            batch_rows = [_row_dict(row) for row in batches]
            query = select(lab.c.batch_id, lab.c.measured_at, lab.c.strength_mpa, lab.c.residual_z)
            if cursor.lab_time is not None:
                later = lab.c.measured_at > cursor.lab_time
                tie = (lab.c.measured_at == cursor.lab_time) & (lab.c.batch_id > cursor.lab_batch)
                query = query.where(later | tie)
            labs = connection.execute(
                query.order_by(lab.c.measured_at, lab.c.batch_id).limit(limit)
            ).all()
            lab_rows = [_row_dict(row._mapping) for row in labs]
            alarm_rows = [
                _row_dict(row)
                for row in connection.execute(
                    select(alarm).where(alarm.c.id > cursor.alarm).order_by(alarm.c.id).limit(limit)
                ).mappings()
            ]
        after = Cursor(
            batch_rows[-1]["batch_id"] if batch_rows else cursor.batch,
            labs[-1].measured_at if labs else cursor.lab_time,
            alarm_rows[-1]["id"] if alarm_rows else cursor.alarm,
            labs[-1].batch_id if labs else cursor.lab_batch,
        )
        return {"batches": batch_rows, "labs": lab_rows, "alarms": alarm_rows}, after


@dataclass(frozen=True)
class Cursor:
    """Where a reader of the tables stands: the last batch id, lab result (time, then
    batch id) and alarm id it has seen."""

    batch: int
    lab_time: datetime | None
    alarm: int
    lab_batch: int


def _row_dict(row: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in dict(row).items()}


def predictions(store: FeedStore, ids: list[int]) -> dict[int, float]:
    """The stored predicted strength of each of ``ids`` that has a batch row."""
    if not ids:
        return {}
    b = batches_table
    query = select(b.c.batch_id, b.c.predicted_strength).where(b.c.batch_id.in_(ids))
    with store.engine.connect() as connection:
        return {int(i): float(p) for i, p in connection.execute(query)}
