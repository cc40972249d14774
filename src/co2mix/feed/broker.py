"""The broker: Redis Streams, through redis-py.

One stream holds the plant's records in production order; a consumer group reads it,
each entry acknowledged once it is written everywhere; entries that cannot be used go
to the dead-letter stream with the reason (the names: :mod:`co2mix.serving.feed_store`).
The stream is capped at about ``maxlen`` entries (``XADD ... MAXLEN ~``): Redis 7 trims
the oldest entries whether or not the group read them, so the cap must exceed what a
consumer can fall behind by (the default, a million entries, is about two years of this
plant's batches and a few hundred megabytes of memory); ``/v1/feed/status`` reports the
group's lag.

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

import redis

from co2mix.serving.feed_store import GROUP, STREAM

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
        with open(self.directory / "redis-server.log", "ab") as log:  # its own log, not ours
            self.process = subprocess.Popen([server, *options], stdout=log, stderr=log)
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
