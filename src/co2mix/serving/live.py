"""The live page: the feed's batches as they are scored, their lab results as they come
back, and the monitors' alarms, pushed to the browser by server-sent events.

- ``GET /live``: the page (for a key with the ``predict`` scope, as ``/``);
- ``GET /v1/feed/events``: the event stream; each event a JSON object of new ``batches``,
  ``labs`` and ``alarms`` read from the feed's tables (:mod:`co2mix.serving.feed_store`),
  whichever process (``co2mix feed consume``) wrote them;
- ``GET /v1/feed/status``: the tables' counts, and with ``co2mix serve --feed URL`` the
  stream's length, the consumer group's lag and pending entries;
- ``GET /static/...``: the page's script and its chart library, uPlot, installed from the
  npm registry and kept in the package (``static/uplot/VENDORED.json``: its version,
  the registry's integrity hash, each file's SHA-256): nothing loads from another host.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from co2mix.serving.door import Access
from co2mix.serving.feed_store import FeedStore, stream_status

STATIC = Path(__file__).parent / "static"
EVENTS = "/v1/feed/events"
POLL_S = 0.5  # how often the event stream looks for new rows
HISTORY = 500  # batches a newly opened page starts with
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>co2mix live</title><link rel="stylesheet" href="/static/uplot/uPlot.min.css">
<link rel="stylesheet" href="/static/live.css"></head><body>
<h1>The plant, live</h1>
<p id="summary">waiting for batches...</p>
<div class="chart" id="co2-chart" data-points="0"></div>
<div class="chart" id="strength-chart" data-points="0" data-labs="0"></div>
<h2>Alarms</h2><ul id="alarms"></ul>
<script src="/static/uplot/uPlot.iife.min.js"></script>
<script src="/static/live.js"></script></body></html>"""


def add_live(app: FastAPI, store: FeedStore | None, access: Access, stream: Any = None) -> None:
    """The live page's routes; ``store`` None (no database) answers them with a 404,
    ``stream`` a redis-py client for the status's broker figures."""
    router = APIRouter()
    predicting = [Depends(access.require("predict"))]

    def need_store() -> FeedStore:
        if store is None:
            raise HTTPException(404, "this service has no feed tables")
        return store

    @router.get("/live", response_class=HTMLResponse, include_in_schema=False)
    def live(request: Request) -> Response:
        if "predict" not in (access.scopes(request) or ()):
            return RedirectResponse("/login", 303)
        return HTMLResponse(PAGE)

    @router.get("/static/{name:path}", include_in_schema=False)
    def static(name: str) -> Response:
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file() or path.suffix == ".json":
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(path, headers={"Cache-Control": "max-age=3600"})

    @router.get("/v1/feed/status", dependencies=predicting)
    def status() -> dict[str, Any]:
        """The feed tables' row counts; the stream's length, the group's lag and pending
        entries when the service was started with ``--feed URL``."""
        answer: dict[str, Any] = {"tables": need_store().counts(), "stream": None}
        if stream is not None:
            try:
                answer["stream"] = stream_status(stream)
            except Exception as exc:  # the broker down is a status, not a 500
                answer["stream"] = {"error": f"broker: {str(exc).splitlines()[0]}"}
        return answer

    @router.get(EVENTS, dependencies=predicting, include_in_schema=False)
    async def events(request: Request) -> StreamingResponse:
        feed = need_store()
        return StreamingResponse(
            _events(feed, request), media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )  # fmt: skip

    app.include_router(router)


async def _events(store: FeedStore, request: Request) -> AsyncIterator[str]:
    """New rows every :data:`POLL_S` until the browser goes away."""
    cursor = await asyncio.to_thread(store.tail_cursor, HISTORY)
    while not await request.is_disconnected():
        news, cursor = await asyncio.to_thread(store.news, cursor)
        if any(news.values()):
            yield f"data: {json.dumps(news)}\n\n"
        else:
            yield ": idle\n\n"  # a comment: keeps proxies from closing the stream
        await asyncio.sleep(POLL_S)
