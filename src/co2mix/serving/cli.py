"""``co2mix serve``: the champions behind an HTTP API (uvicorn), every request logged;
``co2mix keys``: the API keys it accepts; ``co2mix log purge``: the log's retention.

    co2mix serve [--host 127.0.0.1] [--port 8000] [--rev REV] [--database-url URL] [--docs]
                 [--feed URL]
    co2mix keys create --name NAME --scope predict [--scope admin] | list | revoke ID
    co2mix log purge [--days N]

Startup loads everything first and fails with one line naming what is missing (run
``dvc repro`` first); the service then answers from memory. With no API key in its
database the service runs open, which it does only on a loopback address.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from co2mix.core.errors import InputError, ParamsError


def serve(args: argparse.Namespace) -> int:
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from co2mix.serving.app import create_app
    from co2mix.serving.artifacts import load_artifacts
    from co2mix.serving.door import Access, RateLimit, is_loopback
    from co2mix.serving.keys import KeyStore
    from co2mix.serving.log import RequestLog, database_url
    from co2mix.serving.service import Service

    try:
        art = load_artifacts(args.root, args.rev)
        log = RequestLog(
            database_url(args.database_url, args.root),
            {t: m.md5 for t, m in art.champions.items()},
            art.serve.log_body_bytes,
        )
        keys = KeyStore(log.engine)
        active = keys.active()
    except (InputError, ParamsError) as exc:
        print(f"co2mix serve: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(exc.__cause__ or exc).splitlines()[0]
        print(f"co2mix serve: request log database: {reason}", file=sys.stderr)
        return 2
    if not active and not is_loopback(args.host):
        print(
            f"co2mix serve: no API key in the database, so the service would be open to "
            f"anyone reaching {args.host}: create one (co2mix keys create --name NAME "
            "--scope predict) or bind to 127.0.0.1",
            file=sys.stderr,
        )
        return 2
    limit = RateLimit(art.serve.rate_limit_per_s, art.serve.rate_burst)
    stream = None
    if args.feed:
        import redis

        stream = redis.Redis.from_url(args.feed, socket_connect_timeout=2, socket_timeout=2)
    access = Access(keys if active else None, limit)
    app = create_app(Service(art), log, access, args.docs, stream)
    # Everything loaded so far lives as long as the process: out of the collector's
    # sight, a full collection no longer walks the models and the training rows (tens
    # of milliseconds of pause in the middle of some request)
    gc.collect()
    gc.freeze()
    where = f"http://{args.host}:{args.port}"
    door = f"{active} API keys" if active else "open: no API keys, loopback only"
    print(
        f"co2mix serve: {', '.join(art.champions)} at {where} "
        f"(log: {log.url.split('@')[-1]}; {door})"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def add_serve_arguments(serving: argparse.ArgumentParser) -> None:
    """``co2mix serve``'s options (the command line itself is :mod:`co2mix.cli`)."""
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=8000)
    serving.add_argument("--rev", help="serve this git revision's champions (dvc.api)")
    serving.add_argument("--root", type=Path, default=Path("."), help="the project directory")
    serving.add_argument("--database-url", help="SQLAlchemy URL (default: CO2MIX_DATABASE_URL)")
    serving.add_argument("--log-level", default="warning")
    serving.add_argument(
        "--feed",
        metavar="URL",
        help="the live feed's broker (redis://...): its lag on /v1/feed/status",
    )
    serving.add_argument(
        "--docs", action="store_true", help="serve the Swagger page at /docs (loads from a CDN)"
    )


def add_key_arguments(keys: argparse.ArgumentParser) -> None:
    """``co2mix keys create|list|revoke``."""
    from co2mix.serving.keys import SCOPES

    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key, printed once")
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument("--scope", action="append", choices=SCOPES, required=True)
    listing = actions.add_parser("list", help="every key's id, name, scopes and dates")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int)
    for action in (create, listing, revoke):
        _database_arguments(action)


def add_log_arguments(log: argparse.ArgumentParser) -> None:
    """``co2mix log purge``."""
    actions = log.add_subparsers(dest="action", required=True)
    purge = actions.add_parser("purge", help="delete rows older than the retention")
    purge.add_argument("--days", type=int, help="default: params serve.log_retention_days")
    _database_arguments(purge)


def _database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="the project directory")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: CO2MIX_DATABASE_URL)")


def keys_command(args: argparse.Namespace) -> int:
    from co2mix.serving.keys import KeyStore
    from co2mix.serving.log import RequestLog, database_url

    store = KeyStore(RequestLog(database_url(args.database_url, args.root), {}).engine)
    if args.action == "create":
        key_id, key = store.create(args.name, args.scope)
        print(f"key {key_id} ({args.name}, {', '.join(sorted(set(args.scope)))}): {key}")
        print("shown once: the database keeps only its SHA-256", file=sys.stderr)
    elif args.action == "list":
        for row in store.listed():
            revoked = f", revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else ""
            print(
                f"{row['id']}\t{row['name']}\t{row['scopes']}\t{row['created_at']:%Y-%m-%d}{revoked}"
            )
    elif not store.revoke(args.id):
        print(f"co2mix keys: no active key with id {args.id}", file=sys.stderr)
        return 2
    return 0


def log_command(args: argparse.Namespace) -> int:
    from co2mix.core.params_file import load_params
    from co2mix.serving.log import RequestLog, database_url

    days = args.days
    if days is None:
        serve = load_params(args.root / "params.yaml").serve
        days = serve.log_retention_days if serve else 30
    log = RequestLog(database_url(args.database_url, args.root), {})
    print(f"co2mix log purge: {log.purge(days)} rows older than {days} days deleted")
    return 0
