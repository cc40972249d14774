"""``co2mix feed``: the plant live, through a Redis stream.

    co2mix feed broker [--port P] [--dir DIR]          a redis-server of its own (dev, tests)
    co2mix feed produce --url URL [--rate R] [--scenario S] [--magnitude M] [--batches N]
    co2mix feed consume --url URL [--root DIR] [--database-url URL] [--sink DIR] [--name N]
    co2mix feed export [--since DATE] [--until DATE] [--out FILE]
    co2mix feed status --url URL

Each fails with one line naming what is wrong (exit 2): no broker at the URL, no
published champions (run ``dvc repro``), an empty sink, an export the contract refuses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import time
from pathlib import Path
from typing import Any

from co2mix.core.errors import InputError, ParamsError

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SINK = Path("data/feed/sink")


def add_feed_arguments(feed: argparse.ArgumentParser) -> None:
    from co2mix.feed.broker import MAXLEN

    actions = feed.add_subparsers(dest="action", required=True)
    broker = actions.add_parser("broker", help="a redis-server on 127.0.0.1 (append-only file on)")
    broker.add_argument("--port", type=int, default=6379)
    broker.add_argument("--dir", type=Path, default=Path("data/feed/broker"))

    produce = actions.add_parser("produce", help="the simulated plant onto the stream")
    produce.add_argument(
        "--rate",
        type=float,
        default=86_400.0,
        help="times real time (86400: a plant day a second; 0: at once)",
    )
    produce.add_argument("--scenario", help="default: params generate.current.scenario")
    produce.add_argument("--magnitude", type=float, help="default: generate.current.magnitude")
    produce.add_argument("--batches", type=int, default=1000)
    produce.add_argument("--maxlen", type=int, default=MAXLEN, help="the stream's cap (entries)")

    consume = actions.add_parser("consume", help="score, store and monitor the stream")
    consume.add_argument("--name", default="consumer-1", help="this consumer's name in the group")
    consume.add_argument("--sink", type=Path, default=DEFAULT_SINK)
    consume.add_argument("--database-url", help="SQLAlchemy URL (default: CO2MIX_DATABASE_URL)")
    consume.add_argument(
        "--min-idle-ms",
        type=int,
        default=30_000,
        help="claim another consumer's entries pending this long",
    )
    consume.add_argument("--until-idle", action="store_true", help="stop once the stream is read")
    consume.add_argument(
        "--contributions", action="store_true", help="store each batch's per-feature contributions"
    )

    export = actions.add_parser("export", help="the sink as the pipeline's raw current batch")
    export.add_argument("--sink", type=Path, default=DEFAULT_SINK)
    export.add_argument("--since", type=dt.datetime.fromisoformat)
    export.add_argument("--until", type=dt.datetime.fromisoformat)
    export.add_argument("--out", type=Path, default=Path("data/feed/current.parquet"))

    status = actions.add_parser("status", help="the stream's length, the group's lag")
    for action in (produce, consume, status):
        action.add_argument("--url", default=DEFAULT_URL, help="redis://host:port/db")
    for action in (produce, consume, export):
        action.add_argument("--root", type=Path, default=Path("."), help="the project")


def feed_command(args: argparse.Namespace) -> int:
    try:
        return {
            "broker": _broker,
            "produce": _produce,
            "consume": _consume,
            "export": _export,
            "status": _status,
        }[args.action](args)
    except (InputError, ParamsError, ConnectionError, FileNotFoundError) as exc:
        print(f"co2mix feed {args.action}: {exc}", file=sys.stderr)
        return 2


def _params(root: Path) -> Any:
    from co2mix.core.params_file import load_params
    from co2mix.plant_params.root import require_plant

    return require_plant(load_params(root / "params.yaml"), "co2mix feed")


def _broker(args: argparse.Namespace) -> int:
    from co2mix.feed.broker import LocalBroker

    broker = LocalBroker(args.dir, args.port).start()
    print(f"co2mix feed broker: {broker.url} (files in {args.dir}; Ctrl-C stops it)")
    try:
        assert broker.process is not None
        broker.process.wait()
    except KeyboardInterrupt:
        broker.stop()
    return 0


def _produce(args: argparse.Namespace) -> int:
    from co2mix.feed.broker import connect
    from co2mix.feed.produce import plant_batches, plant_events, replay

    params = _params(args.root)
    current = params.generate.current
    scenario = args.scenario or current.scenario
    magnitude = current.magnitude if args.magnitude is None else args.magnitude
    if args.batches < 1:
        raise InputError(f"--batches: {args.batches}, at least 1")
    client = connect(args.url)
    events = plant_events(plant_batches(params, scenario, magnitude, args.batches), params)
    start = time.monotonic()
    sent = replay(client, events, args.rate, args.maxlen)
    print(
        f"co2mix feed produce: {sent} records ({args.batches} batches and their lab results, "
        f"scenario {scenario} x{magnitude:g}) in {time.monotonic() - start:.1f} s"
    )
    return 0


def _consume(args: argparse.Namespace) -> int:
    from co2mix.feed.consume import ConsumerSettings, open_consumer
    from co2mix.serving.log import database_url

    settings = ConsumerSettings(
        name=args.name, min_idle_ms=args.min_idle_ms, contributions=args.contributions
    )
    sink = args.sink if args.sink.is_absolute() else args.root / args.sink
    url = database_url(args.database_url, args.root)
    consumer = open_consumer(args.root, args.url, sink, url, settings)
    stopping = {"now": False}

    def stop(*_: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"co2mix feed consume: {args.name} reading {args.url} (sink {sink})", flush=True)
    handled = consumer.run(args.until_idle, lambda: stopping["now"])
    print(f"co2mix feed consume: {handled} entries handled")
    return 0


def _export(args: argparse.Namespace) -> int:
    from co2mix.core import paths
    from co2mix.feed.export import exported, with_reference_types, write_export
    from co2mix.feed.sink import Sink

    params = _params(args.root)
    sink = args.sink if args.sink.is_absolute() else args.root / args.sink
    result = exported(Sink(sink), params, args.since, args.until)
    frame = with_reference_types(result.frame, args.root / paths.REFERENCE)
    out = args.out if args.out.is_absolute() else args.root / args.out
    write_export(frame, params, out)
    print(
        f"co2mix feed export: {len(frame)} batches with their lab results to {args.out} "
        f"({result.waiting} still waiting for theirs, left out)"
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    import json

    from co2mix.feed.broker import connect
    from co2mix.serving.feed_store import stream_status

    print(json.dumps(stream_status(connect(args.url)), indent=2))
    return 0
