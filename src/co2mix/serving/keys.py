"""API keys: who may call the service, and for what (``co2mix keys create|list|revoke``).

A key is 32 random bytes (``co2mix_`` + URL-safe base64) shown once, when it is created;
the database keeps its SHA-256 digest, never the key. A slow password hash (scrypt,
argon2) protects guessable secrets; a 256-bit random key cannot be guessed, and SHA-256
keeps the check per request at microseconds. Scopes: ``predict`` (predict, similar,
advise, model and the page) and ``admin`` (the request log). The keys live in the
service's own database (the request log's: SQLite or PostgreSQL), so every worker and
the command line see the same keys; a revocation reaches a running service within
:data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

SCOPES = ("predict", "admin")
PREFIX = "co2mix_"
CACHE_SECONDS = 5.0  # a key's scopes are re-read this often (revocations reach a server)

metadata = MetaData()
keys_table = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("scopes", String(100), nullable=False),  # comma-separated, sorted
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """The keys table of the service's database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        metadata.create_all(engine)
        self._cache: dict[str, tuple[frozenset[str] | None, float]] = {}

    def create(self, name: str, scopes: Iterable[str]) -> tuple[int, str]:
        """A new key with ``scopes``: its id and the key itself (shown only now)."""
        wanted = sorted(set(scopes))
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown or not wanted:
            raise ValueError(f"scopes {unknown or wanted}: expected one or more of {SCOPES}")
        key = PREFIX + secrets.token_urlsafe(32)
        row = {
            "name": name[:100],
            "digest": digest(key),
            "scopes": ",".join(wanted),
            "created_at": datetime.now(UTC),
        }
        with self.engine.begin() as connection:
            made = connection.execute(insert(keys_table).returning(keys_table.c.id), row)
            key_id = int(made.scalar_one())
        return key_id, key

    def listed(self) -> list[dict[str, Any]]:
        """Every key's id, name, scopes and dates (never its digest)."""
        columns = [c for c in keys_table.c if c.name != "digest"]
        with self.engine.connect() as connection:
            rows = connection.execute(select(*columns).order_by(keys_table.c.id)).mappings()
            return [dict(row) for row in rows]

    def revoke(self, key_id: int) -> bool:
        """Revoke key ``key_id``; False when there is no such active key."""
        query = (
            update(keys_table)
            .where(keys_table.c.id == key_id, keys_table.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        with self.engine.begin() as connection:
            return connection.execute(query).rowcount == 1

    def active(self) -> int:
        """How many keys are not revoked: none means the service runs open (loopback)."""
        query = select(keys_table.c.id).where(keys_table.c.revoked_at.is_(None))
        with self.engine.connect() as connection:
            return len(connection.execute(query).all())

    def scopes_of(self, key: str) -> frozenset[str] | None:
        """The scopes of an active ``key``; None for an unknown or revoked one."""
        hashed = digest(key)
        cached = self._cache.get(hashed)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        query = select(keys_table.c.scopes).where(
            keys_table.c.digest == hashed, keys_table.c.revoked_at.is_(None)
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar_one_or_none()
        scopes = frozenset(found.split(",")) if found else None
        if len(self._cache) > 10_000:  # unknown keys tried at random must not grow it
            self._cache.clear()
        self._cache[hashed] = (scopes, now + CACHE_SECONDS)
        return scopes
