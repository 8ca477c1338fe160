"""The `glitchtip` flavor: the API of GlitchTip (backend c264800f, Django 5.2, django-ninja) over the same store.

It serves the routes GlitchTip defines (handlers in `glitchtip_routes.py`) and answers everything else as
its Django does (`glitchtip_pages.py`): an unrouted `/api/0/organizations/{org}/issues/...` path, and every
other path of its web page's catch-all, answers 200 with the web page (`glitchtip`, as the released image)
or an HTML 500 (`glitchtip-nofrontend`, no page installed); a routed path asked with another method 405.
So `GET organizations/{org}/issues/{id}/` is a 405 (only PUT is routed) and the organization-scoped event
routes, short ids and `projects/{org}/{project}/stats/` reach the catch-all; `organizations/{org}/sessions/`
is a 404. Issue ids in paths are numbers (a short id reaches the catch-all). Issues are grouped by title
(see `SandboxStore.group_by_title`). Organization and project routes answer as in the sentry flavor.
Notes are GlitchTip's comments (`issues/{id}/comments/`); Sentry's notes, organization-scoped tag routes and
member and team lists are not served (GlitchTip has its own member and team routes, which this flavor lacks).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import glitchtip_routes as gt
from .api_base import Handler
from .auth import EVENT_ADMIN, EVENT_READ, EVENT_WRITE
from .flavor_tools import ApiRoute, Flavor
from .glitchtip_pages import unrouted

ORG = "/api/0/organizations/{org}"
COMMENT_READ = ("event:read", "event:admin")
# The sentry flavor's routes GlitchTip answers its own way (None: it has no such route).
REPLACED: dict[tuple[str, str], Handler | None] = {
    (f"{ORG}/issues/", "GET"): gt.list_org_issues,
    ("/api/0/projects/{org}/{project}/issues/", "GET"): gt.list_project_issues,
    (f"{ORG}/issues/", "PUT"): gt.bulk_update_issues,
    (f"{ORG}/issues/{{issue_id}}/", "GET"): None,
    (f"{ORG}/issues/{{issue_id}}/", "PUT"): gt.update_issue,
    (f"{ORG}/issues/{{issue_id}}/events/", "GET"): None,
    (f"{ORG}/issues/{{issue_id}}/events/{{event_id}}/", "GET"): None,
    (f"{ORG}/shortids/{{issue_id}}/", "GET"): None,
    (f"{ORG}/stats_v2/", "GET"): gt.stats_v2,
    (f"{ORG}/sessions/", "GET"): None,
    ("/api/0/projects/{org}/{project}/events/{event_id}/", "GET"): gt.get_project_event,
    ("/api/0/issues/{issue_id}/", "GET"): gt.get_issue,
    ("/api/0/issues/{issue_id}/", "PUT"): gt.update_issue,
    ("/api/0/issues/{issue_id}/events/", "GET"): gt.list_issue_events,
    ("/api/0/issues/{issue_id}/events/{event_id}/", "GET"): gt.get_issue_event,
    ("/api/0/issues/{issue_id}/tags/", "GET"): gt.issue_tags,
    # Sentry's people routes: GlitchTip routes members and teams its own way (apps/organizations_ext/api.py,
    # apps/teams/api.py), which this flavor does not serve; projects have no members route.
    (f"{ORG}/members/", "GET"): None,
    (f"{ORG}/teams/", "GET"): None,
    ("/api/0/projects/{org}/{project}/members/", "GET"): None,
    ("/api/0/projects/{org}/{project}/teams/", "GET"): None,
    # Notes are GlitchTip's comments (below); one key's tag details is `issues/{id}/tags/?key=`.
    **{
        (f"{prefix}/notes/{tail}", method): None
        for prefix in (f"{ORG}/issues/{{issue_id}}", "/api/0/issues/{issue_id}")
        for tail, method in (("", "GET"), ("", "POST"), ("{note_id}/", "PUT"), ("{note_id}/", "DELETE"))
    },
    (f"{ORG}/issues/{{issue_id}}/tags/", "GET"): None,
    (f"{ORG}/issues/{{issue_id}}/tags/{{key}}/", "GET"): None,
    ("/api/0/issues/{issue_id}/tags/{key}/", "GET"): None,
}
ADDED: list[ApiRoute] = [
    ("/api/0/issues/{issue_id}/events/latest/", "GET", EVENT_READ, gt.latest_issue_event),
    ("/api/0/issues/{issue_id}/comments/", "GET", COMMENT_READ, gt.list_comments),
    ("/api/0/issues/{issue_id}/comments/", "POST", EVENT_WRITE, gt.add_comment),
    ("/api/0/issues/{issue_id}/comments/{comment_id}/", "PUT", EVENT_WRITE, gt.update_comment),
    ("/api/0/issues/{issue_id}/comments/{comment_id}/", "DELETE", EVENT_ADMIN, gt.delete_comment),
]
PUBLIC_ROUTES = (
    Route("/api/0/", gt.api_root, methods=["GET"]),
    Route("/api/settings/", gt.api_settings, methods=["GET"]),
)


def _int_ids(path: str) -> str:
    return path.replace("{issue_id}", "{issue_id:int}").replace("{comment_id}", "{comment_id:int}")


def adapt(routes: list[ApiRoute]) -> list[ApiRoute]:
    """The sentry flavor's (path, method, scopes, handler) routes as GlitchTip answers them.

    `latest` comes before `{event_id}` (as in GlitchTip's router); issue ids match digits only.
    """
    chosen = [(path, method, scopes, REPLACED.get((path, method), handler)) for path, method, scopes, handler in routes]
    return [
        (_int_ids(path), method, scopes, gt.django_view(handler))
        for path, method, scopes, handler in [*ADDED, *chosen]
        if handler is not None
    ]


def flavor(frontend: bool) -> Flavor:
    """GlitchTip with its web page installed (`frontend`, the released image) or without it."""

    def answer_unrouted(request: Request, status: int) -> Response:
        return unrouted(request, status, frontend)

    return Flavor(adapt, PUBLIC_ROUTES, answer_unrouted, redirect_slashes=False)
