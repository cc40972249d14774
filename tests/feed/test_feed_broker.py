"""The feed end to end against a real redis-server: produce, consume (in this process and
as a process killed -9 mid-stream), dead letters, the broker killed, export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import orjson
import pandas as pd
from sqlalchemy import create_engine

from co2mix.core.contracts import check_frame
from co2mix.core.params_file import load_params
from co2mix.feed.broker import LocalBroker, connect
from co2mix.feed.consume import ConsumerSettings, open_consumer
from co2mix.feed.export import exported, with_reference_types
from co2mix.feed.produce import plant_batches, plant_events, replay
from co2mix.feed.sink import Sink
from co2mix.serving.feed_store import DEAD, STREAM, FeedStore
from co2mix.serving.feed_store import stream_status as lag


def _produce(project, url, batches, scenario="none"):
    params = load_params(project / "params.yaml")
    events = plant_events(plant_batches(params, scenario, 1.0, batches), params)
    return replay(connect(url), events, rate=0)


def _consumer(project, url, tmp_path, name="test"):
    settings = ConsumerSettings(name=name, block_ms=50)
    database = f"sqlite:///{tmp_path / 'feed.sqlite'}"
    return open_consumer(project, url, tmp_path / "sink", database, settings)


def test_every_record_is_scored_stored_and_acknowledged_once(reproduced, broker, tmp_path):
    project, _ = reproduced
    assert _produce(project, broker.url, 400) == 800  # 400 batches, 400 lab results
    consumer = _consumer(project, broker.url, tmp_path)
    assert consumer.run(until_idle=True) == 800
    counts = consumer.store.counts()
    assert counts["batches"] == counts["lab_results"] == 400
    status = lag(connect(broker.url))
    assert (status["lag"], status["pending"], status["dead_letters"]) == (0, 0, 0)
    with consumer.store.engine.connect() as connection:
        rows = pd.read_sql("select * from batches", connection)
        labs = pd.read_sql("select * from lab_results", connection)
    assert rows["predicted_strength"].between(5, 90).all()
    assert (rows["strength_low"] < rows["predicted_strength"]).all()
    assert abs(labs["residual_z"].mean()) < 0.3  # scenario none: the champion is centred
    # the same chunk again (a redelivery): nothing new anywhere
    again = connect(broker.url).xrange(STREAM, count=300)
    consumer.handle(again)
    assert consumer.store.counts() == counts
    assert len(consumer.sink.read("batches")) == 400


def test_a_bad_record_is_dead_lettered_with_its_reason_and_a_newer_one_kept(
    reproduced, broker, tmp_path
):
    project, _ = reproduced
    _produce(project, broker.url, 5)
    client = connect(broker.url)
    first = orjson.loads(client.xrange(STREAM, count=1)[0][1][b"record"])
    newer = first | {"batch_id": 999_999, "version": 2, "operator": "shift B"}
    broken = {k: v for k, v in first.items() if k != "water"} | {"batch_id": 999_998}
    client.xadd(STREAM, {"record": orjson.dumps(newer)})
    client.xadd(STREAM, {"record": orjson.dumps(broken)})
    consumer = _consumer(project, broker.url, tmp_path)
    consumer.run(until_idle=True)
    dead = client.xrange(DEAD)
    assert len(dead) == 1
    assert dead[0][1][b"reason"] == b"batch record: water: Field required"
    assert consumer.store.counts()["batches"] == 6
    with consumer.store.engine.connect() as connection:
        kept = pd.read_sql("select extra from batches where batch_id = 999999", connection)
    assert orjson.loads(kept["extra"][0]) == {"operator": "shift B"}
    assert lag(client)["pending"] == 0


def _consume_process(project, url, tmp_path, name, min_idle_ms="30000"):
    command = [
        sys.executable, "-m", "co2mix", "feed", "consume", "--root", str(project),
        "--url", url, "--sink", str(tmp_path / "sink"), "--name", name,
        "--database-url", f"sqlite:///{tmp_path / 'feed.sqlite'}", "--until-idle",
        "--min-idle-ms", min_idle_ms,
    ]  # fmt: skip
    env = dict(os.environ) | {"PYTHONPATH": str(project / "src")}
    return subprocess.Popen(command, cwd=project, env=env, stderr=subprocess.PIPE)


def test_a_consumer_killed_mid_stream_leaves_every_batch_exactly_once(reproduced, broker, tmp_path):
    project, _ = reproduced
    _produce(project, broker.url, 4000)
    engine = create_engine(f"sqlite:///{tmp_path / 'feed.sqlite'}")
    victim = _consume_process(project, broker.url, tmp_path, "victim")
    deadline = time.monotonic() + 120
    stored = 0
    while stored == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            stored = FeedStore(engine).counts()["batches"]
        except Exception:  # the table may not exist yet
            stored = 0
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert 0 < FeedStore(engine).counts()["batches"] < 4000, "killed before the end"
    # another consumer claims what the dead one left pending (idle for 0 ms)
    heir = _consume_process(project, broker.url, tmp_path, "heir", min_idle_ms="0")
    assert heir.wait(timeout=300) == 0, heir.stderr.read().decode() if heir.stderr else ""
    store = FeedStore(engine)
    assert store.counts()["batches"] == 4000 == len(set(store.batch_ids()))
    sink = Sink(tmp_path / "sink").read("batches")
    assert len(sink) == 4000 == sink["batch_id"].nunique()
    assert lag(connect(broker.url))["pending"] == 0


def test_a_killed_broker_restarted_from_its_append_only_file_lost_nothing(reproduced, tmp_path):
    project, _ = reproduced
    broker = LocalBroker(tmp_path / "redis").start()
    try:
        sent = _produce(project, broker.url, 300)
        broker.kill()
        broker.start()  # same directory and port: it replays its append-only file
        assert connect(broker.url).xlen(STREAM) == sent == 600
    finally:
        broker.stop()


def test_export_is_the_pipelines_raw_batch_with_the_same_contract(reproduced, broker, tmp_path):
    project, _ = reproduced
    _produce(project, broker.url, 300, scenario="supplier")
    consumer = _consumer(project, broker.url, tmp_path)
    consumer.run(until_idle=True)
    params = load_params(project / "params.yaml")
    result = exported(consumer.sink, params, None, None)
    frame = with_reference_types(result.frame, project / "data/raw/reference.parquet")
    reference = pd.read_parquet(project / "data/raw/reference.parquet")
    assert list(frame.columns) == list(reference.columns)
    assert (frame.dtypes == reference.dtypes).all()
    assert len(frame) == 300 and result.waiting == 0
    check_frame(frame, params, "export")
    until = pd.Timestamp(frame["produced_at"].iloc[150]).to_pydatetime()
    assert len(exported(consumer.sink, params, None, until).frame) == 150


def test_no_broker_is_one_line_and_exit_2(reproduced):
    from co2mix.cli import main

    project, _ = reproduced
    url = "redis://127.0.0.1:9/0"
    assert main(["feed", "status", "--url", url]) == 2
    assert main(["feed", "produce", "--root", str(project), "--url", url, "--batches", "3"]) == 2
