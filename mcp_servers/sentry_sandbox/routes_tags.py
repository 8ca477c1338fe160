"""An issue's tags: `GET organizations/{org}/issues/{id}/tags/` (and the legacy `issues/{id}/tags/`), and one key's
details `GET .../tags/{key}/`.

Sentry's `GroupTagsEndpoint` (`sentry/issues/endpoints/group_tags.py`, not in the published spec): every key
with its 10 most frequent values, or with `key=` (repeat) just those keys with 9 (`limit=` says how many);
`environment` (repeat) and `statsPeriod`/`start`/`end` narrow the events counted. `GroupTagKeyDetailsEndpoint`
(`group_tagkey_details.py`, the spec's `getOrganizationIssueTag`): one key, its 9 most frequent values, 404 for a
key the issue's events never had or an unknown `environment`. Counts come from the stored events (`issue_tags.py`).
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from .api_base import NOT_FOUND, ApiError, Ctx
from .issue_tags import TOP_VALUES_LIST, TOP_VALUES_PER_KEY, tag_keys
from .models import Issue, StoredEvent
from .search import parse_window


def _events(ctx: Ctx, issue: Issue) -> list[StoredEvent]:
    """The issue's events in the requested environments and time range; 404 for an environment nobody sent."""
    environments = [e for e in ctx.params.getlist("environment") if e]
    known = {e.environment for e in ctx.store.events() if e.environment}
    if any(name not in known for name in environments):
        raise ApiError(404, NOT_FOUND)
    params = ctx.params
    window = parse_window(params.get("statsPeriod"), params.get("start"), params.get("end"), environments, ctx.now)
    return [e for e in issue.events if window.matches(e)]


def issue_tags(ctx: Ctx, issue: Issue) -> Response:
    """`GET .../issues/{issue_id}/tags/`: every key (or those of `key=`) with its most frequent values."""
    keys = [k for k in ctx.params.getlist("key") if k]
    raw_limit = ctx.params.get("limit")
    if raw_limit is not None and not raw_limit.strip().lstrip("-").isdigit():
        raise ApiError(500, {"detail": "Internal Error"})  # Sentry's unguarded int(limit)
    limit = int(raw_limit) if raw_limit is not None else (TOP_VALUES_PER_KEY if keys else TOP_VALUES_LIST)
    found = tag_keys(_events(ctx, issue))
    chosen = sorted(k for k in found if not keys or k in keys)
    return JSONResponse([found[key].serialize(max(0, limit)) for key in chosen])


def issue_tag_details(ctx: Ctx, issue: Issue) -> Response:
    """`GET .../issues/{issue_id}/tags/{key}/`: one key with its 9 most frequent values."""
    tag = tag_keys(_events(ctx, issue)).get(ctx.path("key"))
    if tag is None:
        raise ApiError(404, NOT_FOUND)
    return JSONResponse(tag.serialize(TOP_VALUES_PER_KEY))
