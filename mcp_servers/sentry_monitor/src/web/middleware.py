"""ASGI middleware of the HTTP server: the access log (outermost), the answer when Redis is down, and the drain of
a stopping process."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qs

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..base.errors import SharedStateUnavailable
from .gate import CURRENT, RequestInfo, caller_of
from .metrics import Metrics

access_log = logging.getLogger("sentry_monitor.access")
FORMATS = {"structured": True, "text": False}
KNOWN_PATHS = (
    *("/mcp", "/healthz", "/readyz", "/metrics"),
    *("/authorize", "/token", "/register", "/revoke", "/signin/consent", "/signin/callback", "/signin/signout"),
    *("/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp"),
)


class AccessLog:
    """One line on stderr per request: method, path, status, duration, tool and caller (a key id or a sign-in id,
    never a key or token).

    It also reads the caller's result format from the query (`/mcp?format=text`) for the tool handler.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        info = RequestInfo()
        chosen = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("format")
        if chosen:
            info.structured = FORMATS.get(chosen[-1])
            info.bad_format = info.structured is None

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = CURRENT.set(info)
        try:
            await self.app(scope, receive, sent)
        finally:
            CURRENT.reset(token)
            self._log(scope, status, started, info)

    def _log(self, scope: Scope, status: int, started: float, info: RequestInfo) -> None:
        path = scope["path"]
        user = scope.get("user")
        who = caller_of(user.access_token) if isinstance(user, AuthenticatedUser) else "-"
        self.metrics.http.labels(path if path in KNOWN_PATHS else "other", str(status)).inc()
        access_log.info(
            "%s %s %d %.1fms tool=%s caller=%s",
            scope["method"],
            path,
            status,
            (time.perf_counter() - started) * 1000,
            info.tool or "-",
            who,
        )


def format_check(app: ASGIApp) -> ASGIApp:
    """`app`, answering 400 to a request whose ?format= is neither structured nor text (after the key check)."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        info = CURRENT.get()
        if info is not None and info.bad_format:
            await _plain(send, 400, "format must be structured or text.")
            return
        await app(scope, receive, send)

    return checked


class StateOutage:
    """503 with what happened, when the Redis replicas share did not answer before a response began (the token
    check of a signed-in caller, a sign-in page): an MCP request gets a JSON-RPC error, the OAuth endpoints
    OAuth's `temporarily_unavailable`; both say when to try again. Inside a tool call the same failure is the
    tool's SHARED_STATE_UNAVAILABLE error instead."""

    RETRY_AFTER_S = 5

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sent(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sent)
        except SharedStateUnavailable as exc:
            if started:
                raise
            message = f"{exc.message} Try again in a few seconds."
            if scope["path"] == "/mcp":
                await _json_rpc_error(send, 503, message, retry_after_s=self.RETRY_AFTER_S)
            else:
                body = {"error": "temporarily_unavailable", "error_description": message}
                await _json(send, 503, body, retry_after_s=self.RETRY_AFTER_S)


class Drain:
    """A stopping process: /readyz says 503, new MCP requests are refused, those in flight are waited for."""

    def __init__(self) -> None:
        self.draining = False
        self.in_flight = 0
        self._idle = anyio.Event()
        self._idle.set()

    def start(self) -> None:
        self.draining = True

    async def wait_idle(self, seconds: float) -> bool:
        """Wait up to `seconds` for the requests in flight to end; whether they did."""
        with anyio.move_on_after(seconds):
            await self._idle.wait()
            return True
        return False

    def guard(self, app: ASGIApp) -> ASGIApp:
        """`app`, refusing requests once draining and counting those it serves."""

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if self.draining:
                await _json_rpc_error(send, 503, "This server is shutting down: send the request again.")
                return
            self.in_flight += 1
            if self.in_flight == 1:
                self._idle = anyio.Event()
            try:
                await app(scope, receive, send)
            finally:
                self.in_flight -= 1
                if not self.in_flight:
                    self._idle.set()

        return guarded


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text.encode()})


async def _json_rpc_error(send: Send, status: int, message: str, retry_after_s: int = 1) -> None:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}
    await _json(send, status, body, retry_after_s, close=True)


async def _json(send: Send, status: int, body: object, retry_after_s: int, *, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"retry-after", str(retry_after_s).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
