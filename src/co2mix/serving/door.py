"""The service's door: API keys by scope, a cap on request bodies before anything parses
them, and the headers every response carries.

- **Keys** (:mod:`co2mix.serving.keys`): a route declares its scope with
  ``Depends(access.require("predict"))``; no key is a 401, a key without the scope a 403.
  A key comes as ``Authorization: Bearer <key>`` or, for the page, in the HttpOnly
  cookie the login form sets. With no active key in the database the service runs open,
  and ``co2mix serve`` allows that only on a loopback address.
- **Bodies** are read up to ``serve.max_body_bytes`` before FastAPI parses them: a larger
  ``Content-Length``, or a streamed body that grows past it, is a 413 at once.
- **Headers**: a Content-Security-Policy that lets the page load nothing but its own
  (hashed) style and forms (no script, no frames around it), ``nosniff``, no referrer;
  the live page (``/live``) may run scripts and open its event stream, from this origin
  only.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from co2mix.serving.keys import SCOPES, KeyStore, digest

COOKIE = "co2mix_key"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
bearer = HTTPBearer(auto_error=False, description="an API key: co2mix keys create")


@dataclass(frozen=True)
class Access:
    """Who may do what: ``keys`` None means open (no active key; loopback only); each
    key's requests are held to ``limit`` (None: unlimited)."""

    keys: KeyStore | None
    limit: RateLimit | None = None

    @property
    def open(self) -> bool:
        return self.keys is None

    def scopes(self, request: Request, key: str | None = None) -> frozenset[str] | None:
        """The scopes of the request's key (``Authorization: Bearer`` or the page's
        cookie); every scope when the service runs open; None for no or a bad key."""
        if self.keys is None:
            return frozenset(SCOPES)
        key = key or presented_key(request)
        return self.keys.scopes_of(key) if key else None

    def require(
        self, scope: str
    ) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[None]]:
        """A FastAPI dependency: the request's key has ``scope`` (401 / 403 otherwise)."""

        async def check(
            request: Request,
            # declares the scheme in the OpenAPI schema; the key is read by presented_key
            _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> None:
            if self.keys is None:
                return
            key = presented_key(request)
            if not key:
                raise HTTPException(
                    401,
                    "an API key is needed: Authorization: Bearer <key> (co2mix keys create)",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            scopes = self.keys.scopes_of(key)
            if scopes is None:
                raise HTTPException(
                    401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
                )
            if scope not in scopes:
                raise HTTPException(403, f"this key's scopes {sorted(scopes)} lack {scope!r}")
            limit = self.limit
            wait = limit.take(digest(key)) if limit else 0.0
            if limit and wait > 0:
                raise HTTPException(
                    429,
                    f"this key's rate limit (serve.rate_limit_per_s = {limit.rate:g}) is "
                    "used up; retry after Retry-After seconds",
                    headers={"Retry-After": str(math.ceil(wait))},
                )

        return check


class RateLimit:
    """A token bucket per key: ``rate`` requests a second on average, ``burst`` at once.
    In memory, per worker (several workers each allow the rate)."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}  # key digest -> (tokens, at)
        self.lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one request's token for ``key``: 0, or the seconds until one is free."""
        now = time.monotonic()
        with self.lock:
            tokens, at = self.buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self.buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            if len(self.buckets) > 100_000:  # keys are few; this only bounds a bug's cost
                self.buckets.clear()
            self.buckets[key] = (tokens - 1.0, now)
            return 0.0


def bearer_key(request: Request) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return (key.strip() or None) if scheme.lower() == "bearer" else None


def presented_key(request: Request) -> str | None:
    """The key a request carries: ``Authorization: Bearer``, else the page's cookie."""
    return bearer_key(request) or request.cookies.get(COOKIE)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


class BodyLimit:
    """413 for a body larger than ``max_bytes``, before the application reads any of it
    (declared ``Content-Length``) or as soon as a streamed body passes the cap; the
    application then gets the whole body, already read."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body larger than serve.max_body_bytes = {self.max_bytes}"
        await JSONResponse({"detail": detail}, 413)(scope, receive, send)


def style_hash(style: str) -> str:
    """The CSP source that allows exactly this inline style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


class SecurityHeaders:
    """Every response: CSP (``docs`` paths excepted when the Swagger page is on: it loads
    its script from a CDN), no MIME sniffing, no framing, no referrer."""

    def __init__(self, app: ASGIApp, style: str, docs_paths: tuple[str, ...] = ()):
        self.app, self.docs_paths = app, docs_paths
        self.csp = (
            f"default-src 'none'; style-src {style_hash(style)}; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ).encode()
        # the live page runs its own script and the chart library, both from /static/
        self.live_csp = (
            b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            b"img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        strict = not scope["path"].startswith(self.docs_paths) if self.docs_paths else True

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if strict:
                    live = scope["path"] == "/live" or scope["path"].startswith("/static/")
                    policy = self.live_csp if live else self.csp
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
