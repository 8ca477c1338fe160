"""Shared plumbing of the API routes: state, auth guard, error mapping, common parameters."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .access import Access, access_for
from .auth import INVALID_TOKEN, NO_PERMISSION, TOKEN_EXPIRED, ApiToken, TokenRegistry
from .fault_plan import FaultPlan
from .models import Issue, Project
from .oauth import OAuthRegistry
from .pagination import CursorError
from .search import SearchError
from .stats import StatsError
from .store import SandboxStore
from .times import utcnow

NOT_FOUND = {"detail": "The requested resource does not exist"}
INVALID_PROJECT = "Invalid project parameter. Values must be numbers."


class ApiError(Exception):
    """An error answer: HTTP status plus JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


@dataclass
class RequestLog:
    """API requests received (method, path, query, status), for test assertions."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0  # requests received and not yet logged

    def started(self) -> None:
        with self.lock:
            self.in_flight += 1

    def add(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries.append(entry)
            self.in_flight -= 1

    def list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.entries]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


@dataclass
class SandboxState:
    """What every route needs; stored on `app.state.sandbox`.

    `closing` is set when the server stops, so that requests held by a `hang` fault give up. `oauth` holds the
    OAuth applications, grants and the tokens issued through them (see `oauth.py`).
    """

    store: SandboxStore
    tokens: TokenRegistry
    base_url: str
    request_log: RequestLog = field(default_factory=RequestLog)
    faults: FaultPlan = field(default_factory=FaultPlan)
    closing: threading.Event = field(default_factory=threading.Event)
    flavor: str = "sentry"
    oauth: OAuthRegistry = field(default_factory=OAuthRegistry)


@dataclass
class Ctx:
    """One authenticated API call; `access` says what its token may do (see `access.py`)."""

    request: Request
    state: SandboxState
    access: Access
    body: bytes
    now: datetime

    @property
    def token(self) -> ApiToken:
        return self.access.token

    @property
    def store(self) -> SandboxStore:
        return self.state.store

    @property
    def params(self) -> Any:
        return self.request.query_params

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def json_body(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from exc


Handler = Callable[[Ctx], Response]


def state_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def guarded(scopes: tuple[str, ...]) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a sync handler: token and scope check, org check, store lock, error mapping."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state = state_of(request)
            token = state.tokens.from_request(request)
            if token is None:
                return JSONResponse(INVALID_TOKEN, status_code=401)
            if token.expired(utcnow()):
                return JSONResponse(TOKEN_EXPIRED, status_code=401)
            access = access_for(token, state.store.directory, state.store.projects)
            if not access.allows(scopes):
                return JSONResponse(NO_PERMISSION, status_code=403)
            body = await request.body()
            org = request.path_params.get("org")
            if org is not None and org not in (state.store.organization.slug, state.store.organization.id):
                return JSONResponse(NOT_FOUND, status_code=404)
            if org is not None and not access.in_organization:
                return JSONResponse(NO_PERMISSION, status_code=403)
            ctx = Ctx(request, state, access, body, utcnow())
            try:
                with state.store.lock:
                    state.store.expire_snoozes(ctx.now)
                    return handler(ctx)
            except ApiError as exc:
                return JSONResponse(exc.body, status_code=exc.status)
            except (SearchError, CursorError, StatsError) as exc:
                return JSONResponse({"detail": str(exc)}, status_code=400)

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


def project_filter(ctx: Ctx, key: str = "project") -> set[str] | None:
    """`project` ids (repeat); None means every project (`-1` or absent, for a caller who reads them all).

    A caller limited to some projects gets those when it names none. An unknown project, or one the caller
    cannot read, is a 403. The sentry flavor also takes slugs, as current Sentry does; the others answer 400.
    """
    ids: list[int] = []
    for raw in ctx.params.getlist(key):
        by_slug = ctx.store.project(raw) if ctx.state.flavor == "sentry" and not raw.lstrip("-").isdigit() else None
        try:
            ids.append(int(by_slug.id if by_slug is not None else raw))
        except ValueError as exc:
            raise ApiError(400, {"detail": INVALID_PROJECT}) from exc
    if not ids or -1 in ids:
        return None if ctx.access.every_project else set(ctx.access.project_ids)
    for project_id in ids:
        if ctx.store.project(str(project_id)) is None or not ctx.access.has_project(str(project_id)):
            raise ApiError(403, NO_PERMISSION)
    return {str(i) for i in ids}


def find_project(ctx: Ctx) -> Project:
    """The project of the `project` path parameter (slug or id): 404 unknown, 403 when the caller cannot read it."""
    project = ctx.store.project(ctx.path("project"))
    if project is None:
        raise ApiError(404, NOT_FOUND)
    if not ctx.access.has_project(project.id):
        raise ApiError(403, NO_PERMISSION)
    return project


def find_issue(ctx: Ctx, allow_short_id: bool = True) -> Issue:
    """The issue of the `issue_id` path parameter (numeric, or a short id when allowed).

    404 when there is none; 403 when the caller cannot read its project (Sentry's `GroupPermission`).
    """
    raw = ctx.path("issue_id")
    issue = ctx.store.issue(int(raw)) if raw.isdigit() else None
    if issue is None and allow_short_id and not raw.isdigit():
        issue = ctx.store.issue_by_short_id(raw)
    if issue is None:
        raise ApiError(404, NOT_FOUND)
    if not ctx.access.has_project(issue.project_id):
        raise ApiError(403, NO_PERMISSION)
    return issue


IssueHandler = Callable[[Ctx, Issue], Response]


def on_issue(handle: IssueHandler, allow_short_id: bool = True) -> Handler:
    """A route handler that answers `handle` for the issue of its path (see `find_issue`): one handler serves both
    `organizations/{org}/issues/{issue_id}/...` and the older `issues/{issue_id}/...` (numeric ids only)."""

    def answer(ctx: Ctx) -> Response:
        return handle(ctx, find_issue(ctx, allow_short_id))

    answer.__name__ = handle.__name__
    return answer


def int_param(ctx: Ctx, key: str, default: int, detail: str) -> int:
    raw = ctx.params.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, {"detail": detail}) from exc


def truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")
