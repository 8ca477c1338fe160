"""The Starlette application: Sentry web API routes, ingest routes and sandbox controls."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import (
    control,
    flavor_glitchtip,
    flavor_legacy,
    routes_ingest,
    routes_issues,
    routes_mutate,
    routes_notes,
    routes_oauth,
    routes_orgs,
    routes_people,
    routes_tags,
)
from .api_base import NOT_FOUND, SandboxState, guarded, on_issue, state_of
from .auth import EVENT_ADMIN, EVENT_READ, EVENT_WRITE, MEMBER_READ, ORG_READ, PROJECT_READ
from .faults import FaultMiddleware
from .flavor_tools import ApiRoute, Flavor

ORG = "/api/0/organizations/{org}"
PROJECT = "/api/0/projects/{org}/{project}"
ISSUE = f"{ORG}/issues/{{issue_id}}"
LEGACY_ISSUE = "/api/0/issues/{issue_id}"
# Sentry's routes that need no API token: `GET /api/0/` and its OAuth 2 routes (GlitchTip serves its own
# `/api/0/` and no OAuth).
SENTRY_PUBLIC_ROUTES = (Route("/api/0/", routes_people.api_root, methods=["GET"]), *routes_oauth.ROUTES)

# How each flavor changes the sentry flavor's API routes (see flavor_glitchtip.py, flavor_legacy.py).
FLAVORS: dict[str, Flavor] = {
    "sentry": Flavor(list, SENTRY_PUBLIC_ROUTES),
    "glitchtip": flavor_glitchtip.flavor(frontend=True),
    "glitchtip-nofrontend": flavor_glitchtip.flavor(frontend=False),
    "sentry-legacy": Flavor(flavor_legacy.adapt, SENTRY_PUBLIC_ROUTES),
}


def _people_routes() -> list[ApiRoute]:
    people = routes_people
    return [
        (f"{ORG}/members/", "GET", MEMBER_READ, people.list_members),
        (f"{ORG}/teams/", "GET", ORG_READ, people.list_teams),
        (f"{PROJECT}/members/", "GET", PROJECT_READ, people.list_project_members),
        (f"{PROJECT}/teams/", "GET", PROJECT_READ, people.list_project_teams),
    ]


def _note_and_tag_routes() -> list[ApiRoute]:
    notes, tags = routes_notes, routes_tags
    routes: list[ApiRoute] = []
    for prefix, short_ids in ((ISSUE, True), (LEGACY_ISSUE, False)):
        routes += [
            (f"{prefix}/notes/", "GET", EVENT_READ, on_issue(notes.list_notes, short_ids)),
            (f"{prefix}/notes/", "POST", EVENT_WRITE, on_issue(notes.post_note, short_ids)),
            (f"{prefix}/notes/{{note_id}}/", "PUT", EVENT_WRITE, on_issue(notes.edit_note, short_ids)),
            (f"{prefix}/notes/{{note_id}}/", "DELETE", EVENT_ADMIN, on_issue(notes.delete_note, short_ids)),
            (f"{prefix}/tags/", "GET", EVENT_READ, on_issue(tags.issue_tags, short_ids)),
            (f"{prefix}/tags/{{key}}/", "GET", EVENT_READ, on_issue(tags.issue_tag_details, short_ids)),
        ]
    return routes


def _routes(flavor: str) -> list[Route]:
    issues, orgs = routes_issues, routes_orgs
    api: list[ApiRoute] = [
        ("/api/0/organizations/", "GET", ORG_READ, orgs.list_organizations),
        (f"{ORG}/", "GET", ORG_READ, orgs.get_organization),
        (f"{ORG}/projects/", "GET", ORG_READ, orgs.list_org_projects),
        (f"{ORG}/stats_v2/", "GET", ORG_READ, orgs.org_stats_v2),
        (f"{ORG}/sessions/", "GET", ORG_READ, orgs.org_sessions),
        ("/api/0/projects/{org}/{project}/", "GET", PROJECT_READ, orgs.get_project),
        ("/api/0/projects/{org}/{project}/environments/", "GET", PROJECT_READ, orgs.list_project_environments),
        ("/api/0/projects/{org}/{project}/issues/", "GET", EVENT_READ, issues.list_project_issues),
        ("/api/0/projects/{org}/{project}/events/{event_id}/", "GET", EVENT_READ, issues.get_project_event),
        (f"{ORG}/issues/", "GET", EVENT_READ, issues.list_org_issues),
        (f"{ORG}/issues/", "PUT", EVENT_WRITE, routes_mutate.bulk_update_issues),
        (f"{ORG}/issues/{{issue_id}}/", "GET", EVENT_READ, issues.get_issue),
        (f"{ORG}/issues/{{issue_id}}/", "PUT", EVENT_WRITE, issues.update_issue),
        (f"{ORG}/issues/{{issue_id}}/events/", "GET", EVENT_READ, issues.list_issue_events),
        (f"{ORG}/issues/{{issue_id}}/events/{{event_id}}/", "GET", EVENT_READ, issues.get_issue_event),
        (f"{ORG}/shortids/{{issue_id}}/", "GET", EVENT_READ, issues.resolve_short_id),
        ("/api/0/issues/{issue_id}/", "GET", EVENT_READ, issues.get_legacy_issue),
        ("/api/0/issues/{issue_id}/", "PUT", EVENT_WRITE, issues.update_legacy_issue),
        ("/api/0/issues/{issue_id}/events/", "GET", EVENT_READ, issues.list_legacy_issue_events),
        ("/api/0/issues/{issue_id}/events/{event_id}/", "GET", EVENT_READ, issues.get_legacy_issue_event),
        *_people_routes(),
        *_note_and_tag_routes(),
    ]
    api = FLAVORS[flavor].adapt(api)
    routes = [Route(path, guarded(scopes)(handler), methods=[method]) for path, method, scopes, handler in api]
    routes += FLAVORS[flavor].public_routes
    routes += [
        Route("/api/{project_id:int}/envelope/", routes_ingest.envelope_endpoint, methods=["POST"]),
        Route("/api/{project_id:int}/store/", routes_ingest.store_endpoint, methods=["POST"]),
        Route("/_sandbox/requests", control.list_requests, methods=["GET"]),
        Route("/_sandbox/requests", control.clear_requests, methods=["DELETE"]),
        Route("/_sandbox/faults", control.list_faults, methods=["GET"]),
        Route("/_sandbox/faults", control.add_fault, methods=["POST"]),
        Route("/_sandbox/faults", control.clear_faults, methods=["DELETE"]),
        Route("/_sandbox/reset", control.reset, methods=["POST"]),
        Route("/_sandbox/info", control.info, methods=["GET"]),
    ]
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    unrouted = FLAVORS[state_of(request).flavor].unrouted
    if unrouted is not None and status in (404, 405):
        return unrouted(request, status)
    if status == 404:
        return JSONResponse(NOT_FOUND, status_code=404)
    if status == 405:
        return JSONResponse({"detail": f'Method "{request.method}" not allowed.'}, status_code=405)
    return JSONResponse({"detail": "Internal Error"}, status_code=status)


def create_app(state: SandboxState) -> Starlette:
    """Build the ASGI app serving `state` (store, tokens, base URL, request log, fault plan).

    Faults are injected inside the request log, so that faulted requests are logged as answered.
    """
    app = Starlette(
        routes=_routes(state.flavor),
        middleware=[
            Middleware(control.RequestLogMiddleware, log=lambda: state.request_log),
            Middleware(FaultMiddleware, state=state),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sandbox = state
    app.router.redirect_slashes = FLAVORS[state.flavor].redirect_slashes
    return app
