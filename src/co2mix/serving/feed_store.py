"""The live feed's tables in the service's database (the request log's: SQLite or
PostgreSQL, :func:`co2mix.serving.log.database_url`).

- ``batches``: each batch as scored at arrival, keyed by its id;
- ``lab_results``: each batch's strength test and its standardized residual, keyed by
  the batch id;
- ``alarms``: what a stream monitor raised (when, which monitor, its statistic, the
  threshold it crossed).

Writes are idempotent: a batch or lab result already stored is skipped (``ON CONFLICT DO
NOTHING``), so a redelivered message never makes a second row. The page reads the same
tables (:meth:`FeedStore.since`), whichever process wrote them.
"""

from __future__ import annotations

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

    def since(self, after_batch: int, after_lab: datetime | None, limit: int) -> dict[str, Any]:
        """What the live page has not shown yet: batches with a larger id, lab results
        measured after ``after_lab`` (with their batch's prediction), and every alarm."""
        b, lab = batches_table, labs_table
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
                .where(b.c.batch_id > after_batch)
                .order_by(b.c.batch_id)
                .limit(limit)
            ).mappings()
            batch_rows = [_plain(row) for row in batches]
            query = select(lab.c.batch_id, lab.c.measured_at, lab.c.strength_mpa, lab.c.residual_z)
            if after_lab is not None:
                query = query.where(lab.c.measured_at > after_lab)
            labs = connection.execute(query.order_by(lab.c.measured_at).limit(limit)).mappings()
            lab_rows = [_plain(row) for row in labs]
            alarm_rows = [
                _plain(row)
                for row in connection.execute(
                    select(alarms_table).order_by(alarms_table.c.id.desc()).limit(50)
                ).mappings()
            ]
        return {"batches": batch_rows, "labs": lab_rows, "alarms": alarm_rows}


def _plain(row: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in dict(row).items()}


def predictions(store: FeedStore, ids: list[int]) -> dict[int, float]:
    """The stored predicted strength of each of ``ids`` that has a batch row."""
    if not ids:
        return {}
    b = batches_table
    query = select(b.c.batch_id, b.c.predicted_strength).where(b.c.batch_id.in_(ids))
    with store.engine.connect() as connection:
        return {int(i): float(p) for i, p in connection.execute(query)}
