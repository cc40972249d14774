"""A real redis-server for the feed tests (Debian's package; .ci/run installs it)."""

from __future__ import annotations

import shutil

import pytest

from co2mix.feed.broker import LocalBroker
from tests.servers import skip_or_fail


@pytest.fixture(scope="session")
def broker_server(tmp_path_factory):
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    broker = LocalBroker(tmp_path_factory.mktemp("redis")).start()
    yield broker
    broker.stop()


@pytest.fixture
def broker(broker_server):
    """The session's broker, emptied for this test."""
    from co2mix.feed.broker import connect

    client = connect(broker_server.url)
    client.flushall()
    yield broker_server
    client.close()
