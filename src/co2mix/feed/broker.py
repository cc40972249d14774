"""The broker: Redis Streams, through redis-py.

One stream holds the plant's records in production order (:data:`STREAM`); a consumer
group reads it, each entry acknowledged once it is written everywhere; entries that
cannot be used go to :data:`DEAD` with the reason. The stream is capped at about
``maxlen`` entries (``XADD ... MAXLEN ~``): Redis 7 trims the oldest entries whether or
not the group read them, so the cap must exceed what a consumer can fall behind by (the
default, a million entries, is about two years of this plant's batches and a few hundred
megabytes of memory); ``/v1/feed/status`` reports the group's lag.

:class:`LocalBroker` starts a ``redis-server`` of its own (Debian's package) on a free
loopback port, for development and the tests: ``co2mix feed broker``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

STREAM = "co2mix:plant"
DEAD = "co2mix:plant:dead"
GROUP = "co2mix"
MAXLEN = 1_000_000


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://host:port/db``) that fails fast when none answers."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConnectionError(f"--url {url}: no Redis server answers ({exc})") from None
    return client


def ensure_group(client: redis.Redis, stream: str = STREAM, group: str = GROUP) -> None:
    """The consumer group, created at the stream's start (and the stream with it)."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def lag(client: redis.Redis, stream: str = STREAM, group: str = GROUP) -> dict[str, Any]:
    """The stream's length, the group's lag (entries not yet delivered) and pending count
    (delivered, not yet acknowledged)."""
    length = int(client.xlen(stream))
    groups = {g["name"].decode(): g for g in client.xinfo_groups(stream)} if length else {}
    info = groups.get(group)
    if info is None:
        return {"stream_length": length, "lag": length, "pending": 0, "consumers": 0}
    behind = info.get("lag")
    return {
        "stream_length": length,
        "lag": int(behind) if behind is not None else None,
        "pending": int(info["pending"]),
        "consumers": int(info["consumers"]),
        "last_delivered": info["last-delivered-id"].decode(),
        "dead_letters": int(client.xlen(DEAD)),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalBroker:
    """A ``redis-server`` on 127.0.0.1 with its files in ``directory``; the append-only
    file on with ``fsync`` at every write (``appendfsync always``): a killed broker loses
    nothing it acknowledged."""

    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalBroker:
        server = shutil.which("redis-server")
        if server is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        options = [
            "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--protected-mode", "yes", "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen([server, *options])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited ({self.process.returncode})") from None
                time.sleep(0.05)
        raise TimeoutError(f"redis-server did not answer on port {self.port} within 10 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final save (what the durability test does)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
