"""``co2mix serve``: the champions behind an HTTP API (uvicorn), every request logged.

    co2mix serve [--host 127.0.0.1] [--port 8000] [--rev REV] [--database-url URL]

Startup loads everything first and fails with one line naming what is missing (run
``dvc repro`` first); the service then answers from memory.
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
    from co2mix.serving.log import RequestLog, database_url
    from co2mix.serving.service import Service

    try:
        art = load_artifacts(args.root, args.rev)
        log = RequestLog(
            database_url(args.database_url, args.root),
            {t: m.md5 for t, m in art.champions.items()},
        )
    except (InputError, ParamsError) as exc:
        print(f"co2mix serve: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(exc.__cause__ or exc).splitlines()[0]
        print(f"co2mix serve: request log database: {reason}", file=sys.stderr)
        return 2
    app = create_app(Service(art), log)
    # Everything loaded so far lives as long as the process: out of the collector's
    # sight, a full collection no longer walks the models and the training rows (tens
    # of milliseconds of pause in the middle of some request)
    gc.collect()
    gc.freeze()
    where = f"http://{args.host}:{args.port}"
    print(f"co2mix serve: {', '.join(art.champions)} at {where} (log: {log.url.split('@')[-1]})")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def add_arguments(serving: argparse.ArgumentParser) -> None:
    """``co2mix serve``'s options (the command line itself is :mod:`co2mix.cli`)."""
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=8000)
    serving.add_argument("--rev", help="serve this git revision's champions (dvc.api)")
    serving.add_argument("--root", type=Path, default=Path("."), help="the project directory")
    serving.add_argument("--database-url", help="SQLAlchemy URL (default: CO2MIX_DATABASE_URL)")
    serving.add_argument("--log-level", default="warning")
