"""Real servers for the serving tests, started and stopped by them on 127.0.0.1: the
``co2mix serve`` process and a PostgreSQL server (Debian's binaries, as ``postgres``)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing server binary skips with the reason; under CI it fails."""
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def serve_process(project: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``co2mix serve`` on a free port of 127.0.0.1, as its own process; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "co2mix", "serve", "--root", str(project)]
    command += ["--port", str(port), *args]
    full_env = dict(os.environ) | {"PYTHONPATH": str(project / "src")} | (env or {})
    output = tempfile.TemporaryFile()  # noqa: SIM115 (a file, not a pipe: a full pipe would block it)
    process = subprocess.Popen(
        command, cwd=project, env=full_env, stdout=output, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output.seek(0)
                said = output.read().decode()
                raise AssertionError(f"co2mix serve exited {process.returncode}: {said}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("co2mix serve did not answer /v1/health within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


def postgres_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL server on a free port; yields its SQLAlchemy URL."""
    binaries = postgres_binaries()
    if binaries is None:
        skip_or_fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
    assert binaries is not None
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="co2mix-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    run = lambda args: subprocess.run(  # noqa: E731
        _as_postgres(args), check=True, capture_output=True, text=True, timeout=120
    )
    run([str(binaries / "initdb"), "-D", str(data), "-U", "co2mix", "--auth=trust"])
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(data / "log"),
            "start",
        ]
    )
    try:
        yield f"postgresql+psycopg://co2mix@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)
