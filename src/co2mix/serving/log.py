"""The request log: every request and its response, in a real database (SQLAlchemy).

SQLite by default (a file outside git and DVC's outputs), PostgreSQL (or any SQLAlchemy
URL) from ``CO2MIX_DATABASE_URL``. The table is created at startup. A write that fails
is an error the caller turns into a 503: a request the log could not keep is never
answered as if it had been.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine

DATABASE_ENV = "CO2MIX_DATABASE_URL"
DEFAULT_SQLITE = Path("logs/requests.sqlite")

metadata = MetaData()
requests_table = Table(
    "request_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("method", String(8), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("request_body", Text, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("model_hashes", Text, nullable=False),  # JSON: target -> champion file md5
)


def database_url(explicit: str | None = None, root: Path = Path(".")) -> str:
    """``explicit``, else ``CO2MIX_DATABASE_URL``, else the default SQLite file."""
    url = explicit or os.environ.get(DATABASE_ENV)
    if url:
        return url
    path = (root / DEFAULT_SQLITE).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL and NORMAL sync: readers do not block the writer, and a commit does not wait
    for a full fsync (a crash may lose the last commits, never corrupt the file)."""

    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


class RequestLog:
    def __init__(self, url: str, model_hashes: dict[str, str]):
        self.url = url
        self.engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            _sqlite_pragmas(self.engine)
        metadata.create_all(self.engine)
        self.model_hashes = json.dumps(model_hashes, sort_keys=True)

    def write(
        self,
        method: str,
        endpoint: str,
        status: int,
        latency_ms: float,
        request: str,
        response: str,
    ) -> None:
        """One row; raises SQLAlchemy's error when the database does not take it."""
        row = {
            "at": datetime.now(UTC),
            "method": method,
            "endpoint": endpoint,
            "status": status,
            "latency_ms": latency_ms,
            "request_body": request,
            "response_body": response,
            "model_hashes": self.model_hashes,
        }
        with self.engine.begin() as connection:
            connection.execute(insert(requests_table), row)

    def latest(self, limit: int) -> list[dict[str, Any]]:
        query = select(requests_table).order_by(requests_table.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            {**row, "at": row["at"].isoformat(), "model_hashes": json.loads(row["model_hashes"])}
            for row in rows
        ]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(requests_table)).scalar_one()
            )

    def close(self) -> None:
        self.engine.dispose()
