"""One answer per fault kind (what each does is listed in `faults.py`), and the `Exchange` they answer."""

from __future__ import annotations

import asyncio
import contextvars
import http
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders, QueryParams
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api_base import NOT_FOUND, SandboxState
from .auth import INVALID_TOKEN, NO_PERMISSION
from .fault_plan import HUGE_WITH_LENGTH, FaultSpec, throttle_window

DEFAULT_RATE_LIMIT = 40
CONCURRENT_LIMIT = 25
HUGE_DEFAULT_SIZE = 50_000_000
HUGE_CHUNK_BYTES = 256 * 1024
HANG_POLL_SECONDS = 0.05
DROP_BODY = '[{"id": "6500000001", "shortId": "BACKEND-1", "title": "ZeroDivisionError: division by zero"'
BAD_JSON_BODY = '{"id": "1", "title": '
HTML_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n<center><h1>{code} {phrase}</h1></center>"
    "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


# Set in the request's context when a fault closes the connection on purpose (see `faults.py`).
ABORTED_ON_PURPOSE: contextvars.ContextVar[bool] = contextvars.ContextVar("sandbox_fault_abort", default=False)


@dataclass
class Exchange:
    """One faulted request: the spec that answers it and the ASGI plumbing."""

    spec: FaultSpec
    app: ASGIApp
    state: SandboxState
    scope: Scope
    receive: Receive
    send: Send

    async def respond(self, response: Response) -> None:
        await response(self.scope, self.receive, self.send)

    async def call_route(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, raw headers and body of the real route's answer (not sent)."""
        start: dict[str, Any] = {"status": 500, "headers": []}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(status=message["status"], headers=list(message.get("headers", [])))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(self.scope, self.receive, capture)
        return int(start["status"]), start["headers"], bytes(body)

    async def send_raw(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, more: bool = False) -> None:
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": more})


def _seconds(value: float) -> str:
    """`1`, `0.5`, `2.25`: a header value without float noise."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _timing_headers(spec: FaultSpec) -> dict[str, str]:
    headers = {}
    if spec.retry_after is not None:
        headers["Retry-After"] = _seconds(spec.retry_after)
    if spec.reset_in is not None:
        # Sentry's reset is the whole unix second its window ends: waiting until then is enough.
        headers["X-Sentry-Rate-Limit-Reset"] = str(math.ceil(time.time() + spec.reset_in))
    return headers


def _too_frequent(limit: int, window: float) -> dict[str, str]:
    """Sentry's 429 body."""
    return {
        "detail": f"You are attempting to use this endpoint too frequently. Limit is {limit} requests in {window:g} "
        "seconds"
    }


async def _rate_limit(x: Exchange) -> None:
    limit, window = throttle_window(x.spec.rate) if x.spec.rate else (DEFAULT_RATE_LIMIT, 1.0)
    headers = {
        "X-Sentry-Rate-Limit-Limit": str(limit),
        "X-Sentry-Rate-Limit-Remaining": "0",
        "X-Sentry-Rate-Limit-ConcurrentLimit": str(CONCURRENT_LIMIT),
        "X-Sentry-Rate-Limit-ConcurrentRemaining": str(CONCURRENT_LIMIT - 1),
        **_timing_headers(x.spec),
    }
    body = x.spec.body if x.spec.body is not None else _too_frequent(limit, window)
    await x.respond(JSONResponse(body, status_code=x.spec.status or 429, headers=headers))


def _route_pattern(scope: Scope) -> str:
    """The pattern of the route a request goes to (`/api/0/organizations/{org}/issues/{issue_id}/`), else its path."""
    for route in getattr(scope.get("app"), "routes", ()):
        if route.matches(scope)[0] is Match.FULL:
            return str(route.path)
    return str(scope["path"])


async def _sentry_rate_limit(x: Exchange) -> None:
    token = dict(x.scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
    window = x.state.faults.rate_window(x.spec, (token, x.scope["method"], _route_pattern(x.scope)))
    headers = {
        "X-Sentry-Rate-Limit-Limit": str(window.limit),
        "X-Sentry-Rate-Limit-Remaining": str(window.remaining),
        "X-Sentry-Rate-Limit-Reset": str(window.reset),
    }
    if window.over:
        await x.respond(JSONResponse(_too_frequent(window.limit, 1), status_code=429, headers=headers))
        return
    status, raw_headers, body = await x.call_route()
    MutableHeaders(raw=raw_headers).update(headers)
    await x.send_raw(status, raw_headers, body)


def _error_body(status: int) -> Any:
    """What Sentry answers with `status` (REFERENCE §8); `{"detail": <reason phrase>}` otherwise."""
    known: dict[int, Any] = {401: INVALID_TOKEN, 403: NO_PERMISSION, 404: NOT_FOUND}
    if status == 500:
        return {"detail": "Internal Error", "errorId": uuid.uuid4().hex}
    if status == 410:
        return {"message": "This API no longer exists."}
    return known.get(status, {"detail": http.HTTPStatus(status).phrase})


async def _error(x: Exchange) -> None:
    status = x.spec.status or 500
    body = x.spec.body if x.spec.body is not None else _error_body(status)
    await x.respond(JSONResponse(body, status_code=status, headers=_timing_headers(x.spec)))


async def _html(x: Exchange) -> None:
    status = x.spec.status or 502
    page = x.spec.body or HTML_PAGE.format(code=status, phrase=http.HTTPStatus(status).phrase)
    await x.respond(Response(page, status_code=status, media_type="text/html", headers=_timing_headers(x.spec)))


async def _slow(x: Exchange) -> None:
    await asyncio.sleep(x.spec.delay or 0.0)
    await x.app(x.scope, x.receive, x.send)


async def _hang(x: Exchange) -> None:
    async def until_disconnect() -> None:
        while (await x.receive())["type"] != "http.disconnect":
            pass

    gone = asyncio.ensure_future(until_disconnect())
    try:
        while not gone.done():
            if x.state.closing.is_set():
                body = {"detail": "The sandbox is shutting down"}
                await x.respond(JSONResponse(body, status_code=503, headers={"Connection": "close"}))
                return
            await asyncio.wait({gone}, timeout=HANG_POLL_SECONDS)
    finally:
        gone.cancel()


async def _drop(x: Exchange) -> None:
    sent = (x.spec.body or DROP_BODY).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(2 * len(sent)).encode())]
    await x.send_raw(200, headers, sent, more=True)
    # Returning with the body unfinished makes uvicorn close the connection (and log an error).
    ABORTED_ON_PURPOSE.set(True)


async def _bad_json(x: Exchange) -> None:
    body = x.spec.body if x.spec.body is not None else BAD_JSON_BODY
    await x.respond(Response(body, media_type="application/json"))


async def _empty(x: Exchange) -> None:
    await x.respond(Response(b"", media_type="application/json"))


async def _wrong_shape(x: Exchange) -> None:
    body = x.spec.body
    if body is None:
        _, _, real = await x.call_route()
        body = {"unexpected": True} if real.lstrip().startswith(b"[") else ["unexpected"]
    await x.respond(JSONResponse(body))


def json_list_chunks(size: int, chunk: int = HUGE_CHUNK_BYTES) -> Iterator[bytes]:
    """A JSON list of strings `"xx…"`, exactly `size` (>= 2) bytes in all, at most `chunk` bytes at a time."""
    yield b"["
    left, separator = size - 2, b""
    while left > 0:
        piece = min(chunk, left)
        if piece < len(separator) + 2:
            yield b" " * piece  # too short for one more item; whitespace is valid JSON before `]`
        else:
            yield separator + b'"' + b"x" * (piece - len(separator) - 2) + b'"'
        left, separator = left - piece, b","
    yield b"]"


async def _huge(x: Exchange) -> None:
    size = x.spec.size or HUGE_DEFAULT_SIZE
    headers = [(b"content-type", b"application/json")]
    if x.spec.body == HUGE_WITH_LENGTH:
        headers.append((b"content-length", str(size).encode()))
    await x.send({"type": "http.response.start", "status": 200, "headers": headers})
    for piece in json_list_chunks(size):
        await x.send({"type": "http.response.body", "body": piece, "more_body": True})
    await x.send({"type": "http.response.body", "body": b"", "more_body": False})


def loop_link(base_url: str, path: str, query: QueryParams) -> str:
    """A `Link` header whose `previous` and `next` both point at the requested cursor."""
    cursor = query.get("cursor") or "0:0:0"
    params = urlencode([(k, v) for k, v in query.multi_items() if k != "cursor"])
    url = f"{base_url}{path}?{params}&cursor={cursor}"
    return ", ".join(
        f'<{url}>; rel="{rel}"; results="{results}"; cursor="{cursor}"'
        for rel, results in (("previous", "false"), ("next", "true"))
    )


async def _link_loop(x: Exchange) -> None:
    status, raw_headers, body = await x.call_route()
    if 200 <= status < 300:
        query = QueryParams(x.scope.get("query_string", b"").decode("latin-1"))
        MutableHeaders(raw=raw_headers)["link"] = loop_link(x.state.base_url, x.scope["path"], query)
    await x.send_raw(status, raw_headers, body)


ANSWERS: dict[str, Callable[[Exchange], Awaitable[None]]] = {
    "rate_limit": _rate_limit,
    "error": _error,
    "html": _html,
    "slow": _slow,
    "hang": _hang,
    "drop": _drop,
    "bad_json": _bad_json,
    "wrong_shape": _wrong_shape,
    "empty": _empty,
    "huge": _huge,
    "link_loop": _link_loop,
    "throttle": _rate_limit,
    "sentry_rate_limit": _sentry_rate_limit,
}
