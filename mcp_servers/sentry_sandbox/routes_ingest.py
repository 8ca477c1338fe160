"""Ingest routes: `POST /api/<project_id>/envelope/` and the legacy `/store/` (DSN key auth)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .api_base import state_of
from .auth import sentry_key_from_request
from .ingest import IngestResult, ingest_envelope, ingest_store_endpoint
from .models import Project
from .store import SandboxStore
from .times import utcnow

IngestFn = Callable[[SandboxStore, Project, bytes, str | None, datetime], IngestResult]


async def _ingest(request: Request, ingest: IngestFn) -> Response:
    state = state_of(request)
    key = sentry_key_from_request(request)
    if key is None:
        return JSONResponse({"detail": "missing authorization information"}, status_code=401)
    project = state.store.project(str(request.path_params["project_id"]))
    if project is None or project.public_key != key:
        return JSONResponse({"detail": "event submission rejected with_reason: ProjectId"}, status_code=403)
    body = await request.body()
    result = ingest(state.store, project, body, request.headers.get("content-encoding"), utcnow())
    return JSONResponse(result.body, status_code=result.status, headers=result.headers)


async def envelope_endpoint(request: Request) -> Response:
    return await _ingest(request, ingest_envelope)


async def store_endpoint(request: Request) -> Response:
    return await _ingest(request, ingest_store_endpoint)
