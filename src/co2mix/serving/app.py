"""The HTTP API (FastAPI): versioned endpoints under ``/v1``, the page at ``/``, and a
middleware that writes every request and response to the request log. Who may call
what, the body cap and the headers are :mod:`co2mix.serving.door`'s."""

import math
import sys
import time
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from co2mix.core.schemas_forecast import ForecastMetrics
from co2mix.serving.advice import AdviceBusy, AdviceError
from co2mix.serving.door import Access, BodyLimit, SecurityHeaders
from co2mix.serving.feed_store import FeedStore
from co2mix.serving.live import EVENTS, add_live
from co2mix.serving.log import RequestLog
from co2mix.serving.log_writer import LogFull, LogWriter
from co2mix.serving.page import STYLE, Page, add_pages
from co2mix.serving.schemas import (
    PredictBody,
    PredictResponse,
    SimilarResponse,
    body_of,
    predict_request,
    similar_request,
)
from co2mix.serving.service import Service

API_VERSION = "v1"
LOG_READER = f"/{API_VERSION}/requests"


def _model_info(service: Service) -> dict[str, Any]:
    art = service.art
    return {
        "rev": art.rev,
        "targets": list(art.champions),
        "models": {
            t: {
                "champion": m.model,
                "features": m.features,
                "md5": m.md5,
                "test_metrics": m.test_metrics,
                "interval": m.interval,
            }
            for t, m in art.champions.items()
        },
        "surrogate": art.plant.optimize.surrogate if art.plant else None,
        "dvc_lock": {
            path: md5 for path, md5 in art.lock_hashes.items() if path.startswith("data/champions")
        },
    }


def forecast_answer(
    record: ForecastMetrics | None, series: str, freq: str, horizon: int | None
) -> dict[str, Any]:
    """``/v1/forecast``'s answer from the forecast stage's record; 404 when the dataset
    has no forecast, 422 naming the query field otherwise refused. ``horizon`` counts
    days (daily) or hours (hourly); None: every one forecast."""
    if record is None:
        raise HTTPException(404, "this dataset has no forecast (the plant's forecast stage)")
    if series not in record["next_days"]:
        raise HTTPException(
            422, f"series: {series!r} is not forecast; one of {list(record['next_days'])}"
        )
    hourly = record.get("hourly")
    offered = ["daily", "hourly"] if hourly else ["daily"]
    if freq not in offered:
        raise HTTPException(422, f"freq: {freq!r} is not forecast; one of {offered}")
    if freq == "hourly" and hourly:
        steps, unit, key = hourly["next_hours"][series], "hours", "hours"
        skill: Any = hourly["series"][series]
        backtest = {"coverage": hourly["coverage"][series], "scored_hours": skill["scored_hours"]}
    else:
        steps, unit, key = record["next_days"][series], "days", "days"
        skill = record["series"][series]
        backtest = {"coverage": record["coverage"][series], "scored_days": skill["scored_days"]}
    if horizon is not None and horizon > len(steps):
        raise HTTPException(422, f"horizon: {horizon} {unit}, at most {len(steps)} are forecast")
    return {
        "series": series,
        "freq": freq,
        "model": record["served"],
        key: steps[:horizon],
        "backtest": {"served": skill["served"], **backtest},
        "scenario": record["scenario"],
    }


def _router(service: Service, log: RequestLog, access: Access) -> APIRouter:
    art = service.art
    PredictRequest = predict_request(art)
    SimilarRequest = similar_request(art)
    router = APIRouter(prefix=f"/{API_VERSION}")
    keys = art.serve.similar_keys
    predicting = [Depends(access.require("predict"))]

    @router.post("/predict", response_model=PredictResponse, dependencies=predicting)
    async def predict(body: Annotated[PredictBody, Depends(body_of(PredictRequest))]) -> Response:
        rows = body.rows
        limit = art.serve.max_rows
        if len(rows) > limit:
            raise HTTPException(413, f"rows: {len(rows)} rows, at most serve.max_rows = {limit}")
        how = body.contributions
        predicted = service.predict([row.model_dump() for row in rows], how)
        models = {t: m.model for t, m in art.champions.items()}
        # milliseconds of CPU, so in the event loop (a thread hop costs more); serialized
        # here, as the response model declares it, without validating it again
        answer = {"models": models, "rows": [{"predictions": p} for p in predicted]}
        return Response(orjson.dumps(answer), media_type="application/json")

    @router.post("/similar", response_model=SimilarResponse, dependencies=predicting)
    def similar(body: Annotated[BaseModel, Depends(body_of(SimilarRequest))]) -> dict[str, Any]:
        query = body.model_dump()
        return {
            "matched_on": {k: str(query[k]) for k in keys},
            "rows": service.similar(query, query["n"]),
        }

    _advise_route(router, service, predicting)
    _forecast_route(router, art.forecast, predicting)

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "targets": list(art.champions),
            "rev": art.rev,
            # per target: coefficients, lookup, building (the table, at startup) or tree_shap
            "contributions": service.contribution_methods(),
        }

    @router.get("/model", dependencies=predicting)
    def model() -> dict[str, Any]:
        return _model_info(service)

    @router.get("/requests", dependencies=[Depends(access.require("admin"))])
    def requests(
        limit: int = Query(20, ge=1, le=1000), before: int | None = Query(None, ge=1)
    ) -> dict[str, Any]:
        """The newest rows (below id ``before``), a page of at most about a megabyte;
        ``next_before`` continues it."""
        rows, more = log.page(limit, before)
        return {"rows": rows, "next_before": rows[-1]["id"] if more else None}

    return router


def _forecast_route(
    router: APIRouter, record: ForecastMetrics | None, predicting: list[Any]
) -> None:
    @router.get("/forecast", dependencies=predicting)
    def forecast(
        series: str = Query("co2_t", max_length=40),
        freq: str = Query("daily", max_length=10),
        horizon: int | None = Query(None, ge=1, le=168),
    ) -> dict[str, Any]:
        """The served forecaster's next days (freq=daily) or hours (freq=hourly) after
        the log, with conformal intervals, and how it scored in the backtest; horizon in
        days or hours, every one forecast when absent."""
        return forecast_answer(record, series, freq, horizon)


def _advise_route(router: APIRouter, service: Service, predicting: list[Any]) -> None:
    """``POST /advise``: the dataset's mix advice (:mod:`co2mix.serving.advice`), or a 404
    saying it declares no design space. One advice at a time: a request while one runs
    is a 429 with ``Retry-After``, not a thread parked in the pool."""
    art, advisor = service.art, service.advisor
    if advisor is None:

        @router.post(
            "/advise",
            responses={404: {"description": "this dataset has no advice"}},
            dependencies=predicting,
        )
        def no_advice() -> None:
            raise HTTPException(
                404,
                f"no mix advice for this dataset (data.source: {art.params.data.source}): "
                "it declares no design space (params.yaml: design)",
            )

        return
    seconds = art.serve.advise_seconds

    @router.post(
        "/advise",
        response_model=advisor.response,
        responses={
            422: {"description": advisor.refused},
            429: {"description": "an advice is being computed: retry after a moment"},
        },
        dependencies=predicting,
    )
    def advise(body: Annotated[BaseModel, Depends(body_of(advisor.request))]) -> dict[str, Any]:
        try:
            return advisor.advise(body.model_dump())
        except AdviceError as exc:
            busy = isinstance(exc, AdviceBusy)
            retry = {"Retry-After": str(math.ceil(seconds))} if busy else None
            raise HTTPException(exc.status, str(exc), headers=retry) from None


class RequestLogMiddleware:
    """Every request and its response into the log before the response leaves: the
    response is held, the row written, and only then sent; a write the database refuses
    turns it into a 503. Plain ASGI (no per-request task or stream wrapping)."""

    def __init__(self, app: ASGIApp, log: RequestLog):
        self.app, self.log = app, log
        self.writer = LogWriter(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        body = bytearray()
        held: list[Message] = []

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def hold(message: Message) -> None:
            held.append(message)

        if scope["path"] == EVENTS:  # a stream never ends: logged as it starts, not held
            await self._stream(scope, receive_logged, send, start)
            return
        await self.app(scope, receive_logged, hold)
        status = next(m["status"] for m in held if m["type"] == "http.response.start")
        content = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        query = scope.get("query_string", b"").decode("latin-1")
        endpoint = scope["path"] + (f"?{query}" if query else "")
        if scope["path"] == LOG_READER and status == 200:
            # the log's own rows are in the log already: repeating them in every read
            # would make each read's row hold all the earlier ones
            content = f'{{"log_rows_returned": {content.count(b"request_body")}}}'.encode()
        if scope["path"] == "/login":
            body = bytearray(b"[the login form: its key is not logged]")
        row = self.log.row(
            scope["method"],
            endpoint[:200],
            status,
            1000.0 * (time.perf_counter() - start),
            body.decode("utf-8", "replace"),
            content.decode("utf-8", "replace"),
        )
        try:  # off the event loop: a slow database must not stall every other request
            await self.writer.write(row)
        except (SQLAlchemyError, LogFull) as exc:
            await self._refuse(exc, scope, receive, send)
            return
        for message in held:
            await send(message)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, start: float) -> None:
        async def logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = 1000.0 * (time.perf_counter() - start)
                row = self.log.row("GET", EVENTS, message["status"], elapsed, "", "[event stream]")
                await self.writer.write(row)
            await send(message)

        await self.app(scope, receive, logged)

    @staticmethod
    async def _refuse(exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
        """503 with a correlation id; the database's own words (host, user) go only to
        the server's log, under the same id."""
        correlation = uuid.uuid4().hex[:12]
        reason = str(exc.__cause__ or exc).splitlines()[0]
        print(f"co2mix serve: request log write failed [{correlation}]: {reason}", file=sys.stderr)
        detail = f"the request log did not take this request (correlation id {correlation})"
        refusal = JSONResponse({"detail": detail, "correlation_id": correlation}, 503)
        await refusal(scope, receive, send)


def _json_safe(value: Any) -> Any:
    """A validation error's echo of the input, made JSON: NaN and infinity (which Python's
    JSON reader accepts and JSON cannot carry) as strings, anything else odd as its repr."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return repr(value)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field (its ``loc``) and what was expected, never a 500; the input
    itself is not echoed (a megabyte of it would come straight back)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    kept = ("loc", "msg", "type")
    detail = [{k: _json_safe(e[k]) for k in kept if k in e} for e in errors]
    return JSONResponse({"detail": detail}, 422)


def create_app(
    service: Service,
    log: RequestLog,
    access: Access | None = None,
    docs: bool = False,
    stream: Any = None,
) -> FastAPI:
    """The service; ``access`` None runs it open (no keys), ``docs`` serves the Swagger
    page (it loads its script from a CDN: off unless asked), ``stream`` (a redis-py
    client) adds the broker's figures to ``/v1/feed/status``."""
    access = access or Access(None)
    serve = service.art.serve
    app = FastAPI(
        title="co2mix",
        version=API_VERSION,
        description="The co2mix pipeline's published champions: predictions with "
        "explanations and intervals, similar training rows, and low-CO2 mix advice.",
        docs_url="/docs" if docs else None,
        redoc_url=None,
    )
    app.include_router(_router(service, log, access))
    app.add_exception_handler(RequestValidationError, _invalid_request)
    add_pages(app, Page(service, docs), access)
    add_live(app, FeedStore(log.engine), access, stream)
    # the last added is the outermost: hosts, headers, log, body cap, the routes
    app.add_middleware(BodyLimit, max_bytes=serve.max_body_bytes)
    app.add_middleware(RequestLogMiddleware, log=log)
    app.add_middleware(SecurityHeaders, style=STYLE, docs_paths=("/docs",) if docs else ())
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=serve.allowed_hosts)
    app.state.log = log
    app.state.max_body_bytes = serve.max_body_bytes
    app.state.log_body_bytes = log.body_bytes
    return app
