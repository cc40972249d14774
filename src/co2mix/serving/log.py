"""The request log: every request and its response, in a real database (SQLAlchemy).

SQLite by default (a file outside git and DVC's outputs), PostgreSQL (or any SQLAlchemy
URL) from ``CO2MIX_DATABASE_URL``. The table is created at startup. A write that fails
is an error the caller turns into a 503: a request the log could not keep is never
answered as if it had been (fail-closed). Bodies are kept up to ``body_bytes`` each
(``serve.log_body_bytes``), rows for ``serve.log_retention_days`` (``co2mix log purge``;
on PostgreSQL a table partitioned by month, dropped a partition at a time, does the
same without a large DELETE). Connecting and waiting for a pooled connection give up
after :data:`TIMEOUT_S`, so an unreachable database is a prompt 503, not a frozen worker.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
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
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine

DATABASE_ENV = "CO2MIX_DATABASE_URL"
DEFAULT_SQLITE = Path("logs/requests.sqlite")
TIMEOUT_S = 5  # connect, and wait for a pooled connection
PAGE_BYTES = 1_000_000  # a page of the log holds at most about this many bytes of bodies
TRUNCATED = "...[truncated]"

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


def _timeouts(url: str) -> dict[str, Any]:
    """The driver's connect timeout, by dialect (SQLite: how long a locked file is waited on)."""
    if url.startswith("sqlite"):
        return {"timeout": TIMEOUT_S}
    if url.startswith("postgresql"):
        return {"connect_timeout": TIMEOUT_S}
    return {}


def clipped(body: str, limit: int) -> str:
    """``body`` cut to ``limit`` bytes of UTF-8, marked when it was cut."""
    encoded = body.encode("utf-8")
    if len(encoded) <= limit:
        return body
    return encoded[:limit].decode("utf-8", "ignore") + TRUNCATED


class RequestLog:
    def __init__(self, url: str, model_hashes: dict[str, str], body_bytes: int = 4096):
        self.url = url
        self.body_bytes = body_bytes
        self.engine = create_engine(
            url, pool_pre_ping=True, pool_timeout=TIMEOUT_S, connect_args=_timeouts(url)
        )
        if self.engine.dialect.name == "sqlite":
            _sqlite_pragmas(self.engine)
        metadata.create_all(self.engine)
        self.model_hashes = json.dumps(model_hashes, sort_keys=True)

    def row(
        self,
        method: str,
        endpoint: str,
        status: int,
        latency_ms: float,
        request: str,
        response: str,
    ) -> dict[str, Any]:
        """One request's row, its bodies cut to ``body_bytes``."""
        return {
            "at": datetime.now(UTC),
            "method": method,
            "endpoint": endpoint,
            "status": status,
            "latency_ms": latency_ms,
            "request_body": clipped(request, self.body_bytes),
            "response_body": clipped(response, self.body_bytes),
            "model_hashes": self.model_hashes,
        }

    def write(self, *fields: Any) -> None:
        """One row (:meth:`row`'s fields); raises SQLAlchemy's error when the database
        does not take it."""
        self.write_many([self.row(*fields)])

    def write_many(self, rows: list[dict[str, Any]]) -> None:
        """Rows in one transaction: all of them kept, or an error."""
        with self.engine.begin() as connection:
            connection.execute(insert(requests_table), rows)

    def latest(self, limit: int, before: int | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` rows (with an id below ``before``), newest first."""
        return self.page(limit, before)[0]

    def page(self, limit: int, before: int | None = None) -> tuple[list[dict[str, Any]], bool]:
        """:meth:`latest`'s rows, stopping once their bodies pass :data:`PAGE_BYTES` (at
        least one row); and whether older rows remain. One query: it reads one row more
        than it returns."""
        query = select(requests_table).order_by(requests_table.c.id.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(requests_table.c.id < before)
        page: list[dict[str, Any]] = []
        size = 0
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                size += len(row["request_body"]) + len(row["response_body"])
                if len(page) == limit or (page and size > PAGE_BYTES):
                    return page, True
                page.append(
                    {
                        **row,
                        "at": row["at"].isoformat(),
                        "model_hashes": json.loads(row["model_hashes"]),
                    }
                )
        return page, False

    def purge(self, days: int) -> int:
        """Delete the rows older than ``days`` days; how many went."""
        cutoff = datetime.now(UTC) - timedelta(days=days)
        with self.engine.begin() as connection:
            gone = connection.execute(delete(requests_table).where(requests_table.c.at < cutoff))
        return int(gone.rowcount)

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(requests_table)).scalar_one()
            )

    def close(self) -> None:
        self.engine.dispose()
