"""Unauthenticated test controls under `/_sandbox/`, and the middleware that logs API requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api_base import RequestLog, state_of
from .fault_plan import FaultError, parse_fault
from .faults import FAULT_SCOPE_KEY


async def list_requests(request: Request) -> Response:
    """`GET /_sandbox/requests`: the API requests received so far."""
    return JSONResponse(state_of(request).request_log.list())


async def clear_requests(request: Request) -> Response:
    """`DELETE /_sandbox/requests`."""
    state_of(request).request_log.clear()
    return Response(status_code=204)


async def reset(request: Request) -> Response:
    """`POST /_sandbox/reset`: back to the state saved right after seeding."""
    state_of(request).store.restore()
    return JSONResponse({"ok": True})


async def list_faults(request: Request) -> Response:
    """`GET /_sandbox/faults`: each fault's fields plus `hits`, in the order they are checked."""
    return JSONResponse(state_of(request).faults.hits())


async def add_fault(request: Request) -> Response:
    """`POST /_sandbox/faults` with the fields of `SandboxServer.add_fault`: 201 and the fault, or 400."""
    try:
        fields = json.loads(await request.body())
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return JSONResponse({"detail": "the body must be a JSON object of fault fields"}, status_code=400)
    try:
        spec = parse_fault(fields)
    except FaultError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    return JSONResponse(state_of(request).faults.add(spec), status_code=201)


async def clear_faults(request: Request) -> Response:
    """`DELETE /_sandbox/faults`."""
    state_of(request).faults.clear()
    return Response(status_code=204)


async def info(request: Request) -> Response:
    """`GET /_sandbox/info`: organization, projects and DSNs (what the seed script needs)."""
    state = state_of(request)
    return JSONResponse(
        {
            "url": state.base_url,
            "organization": state.store.organization.slug,
            "flavor": state.flavor,
            "projects": [
                {"id": p.id, "slug": p.slug, "dsn": dsn_for(state.base_url, p.public_key, p.id)}
                for p in state.store.projects
            ],
        }
    )


def dsn_for(base_url: str, public_key: str, project_id: str) -> str:
    """`http://<key>@127.0.0.1:<port>/<project_id>`."""
    scheme, _, host = base_url.partition("://")
    return f"{scheme}://{public_key}@{host}/{project_id}"


class RequestLogMiddleware:
    """Record method, path, query string and status of every `/api/0/` request.

    A request answered by a fault also has `"fault": <kind>`; its `status` is the status line the
    client received, 0 when it received none (a `hang`: logged when the client goes away).
    """

    def __init__(self, app: ASGIApp, log: Callable[[], RequestLog]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/0/"):
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
        }

        logged = False
        self.log().started()

        def log_once(status: int) -> None:
            nonlocal logged
            entry["status"] = status
            if FAULT_SCOPE_KEY in scope:
                entry["fault"] = scope[FAULT_SCOPE_KEY]
            self.log().add(entry)
            logged = True

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and not logged:
                # Log before the client can see the response, so a test reading the log right after
                # its request always finds it.
                log_once(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if not logged:
                # No status line sent: a fault (`hang`) answered nothing; otherwise the app failed
                # and uvicorn answers 500.
                log_once(0 if FAULT_SCOPE_KEY in scope else 500)
