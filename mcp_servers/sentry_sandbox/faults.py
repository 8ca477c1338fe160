"""`FaultMiddleware`: real HTTP faults on `/api/0/` requests, picked from the sandbox's `FaultPlan`.

It sits inside `RequestLogMiddleware`, so a faulted request is logged with the status it answered
and `"fault": <kind>` (status 0 when it never answered: a `hang`). `/_sandbox/` and ingest
requests never get a fault; API requests get theirs before the token is checked. What each kind answers:

- `rate_limit`: 429 (or `status`), Sentry's rate-limit body and `X-Sentry-Rate-Limit-*` headers;
  `Retry-After` only with `retry_after`; `X-Sentry-Rate-Limit-Reset` only with `reset_in` (unix time
  rounded up to a whole second, as Sentry's fixed windows end on one).
- `error`: `status` (500) with Sentry's JSON error body (`errorId` on a 500); `html`: `status` (502)
  with a load balancer's HTML page. Both send `Retry-After` with `retry_after`; `body` replaces the body.
- `slow`: waits `delay` seconds, then the real route answers.
- `hang`: never answers; gives up when the client goes away, or with a 503 when the server stops.
- `drop`: 200 with a Content-Length twice the bytes sent, part of a body (`body`), then the connection
  closes: httpx raises `RemoteProtocolError`.
- `bad_json` / `empty`: 200 `application/json` whose body is not JSON (`body`) / is empty.
- `wrong_shape`: 200 with `body`, else JSON of the other container type than the real route's answer
  (`{"unexpected": true}` for a list, `["unexpected"]` otherwise); the real route runs first.
- `huge`: 200, a JSON list of exactly `size` bytes (50 MB) streamed in chunks, chunked encoding,
  or with a Content-Length when `body="content-length"`.
- `link_loop`: the real answer, its `Link` header's `next` pointing at the requested cursor
  (`0:0:0` when none) with `results="true"`: a pagination loop.
- `throttle`: a sliding window lets `rate` requests per second through, to later faults or the real
  route; the others get the `rate_limit` answer with `Retry-After` (seconds until a slot frees, rounded
  up to 0.1) and `X-Sentry-Rate-Limit-Reset`. It is never spent (`times` is refused) and its `hits`
  count the limited requests only.
- `sentry_rate_limit`: Sentry's RatelimitMiddleware: a fixed window of one second (ending on a whole unix
  second) per token, method and route pattern lets `rate` (whole) requests through to the real route, whose
  answer gets `X-Sentry-Rate-Limit-Limit`, `-Remaining` and `-Reset`; the others get 429 with Sentry's body
  ("Limit is <rate> requests in 1 seconds") and the same headers, without `Retry-After`. Later faults do not
  apply to the requests it matches. It is never spent (`times` is refused) and its `hits` count the 429s only.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from .api_base import SandboxState
from .fault_answers import ABORTED_ON_PURPOSE, ANSWERS, Exchange

FAULT_SCOPE_KEY = "sandbox.fault"  # the kind of the fault answering the request, for the request log


class _HideDeliberateAborts(logging.Filter):
    """Drop uvicorn's "returned without completing response" error after a `drop`: it is the fault.

    An ASGI app cannot close its connection; returning with the body unfinished makes uvicorn do it,
    and log an error. The flag is a context variable, so only the dropped request's error is hidden.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (ABORTED_ON_PURPOSE.get() and "without completing response" in record.getMessage())


_HIDE_DELIBERATE_ABORTS = _HideDeliberateAborts()


class FaultMiddleware:
    """Answer `/api/0/` requests from `state.faults` instead of (or around) the real routes."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        uvicorn_errors = logging.getLogger("uvicorn.error")
        if _HIDE_DELIBERATE_ABORTS not in uvicorn_errors.filters:
            uvicorn_errors.addFilter(_HIDE_DELIBERATE_ABORTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        spec = None
        if scope["type"] == "http" and path.startswith("/api/0/"):
            spec = self.state.faults.pick(scope["method"], path, scope.get("query_string", b"").decode("latin-1"))
        if spec is None:
            await self.app(scope, receive, send)
            return
        scope[FAULT_SCOPE_KEY] = spec.kind
        await ANSWERS[spec.kind](Exchange(spec, self.app, self.state, scope, receive, send))
