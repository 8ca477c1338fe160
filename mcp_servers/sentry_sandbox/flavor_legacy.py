"""The `sentry-legacy` flavor: an older self-hosted Sentry (REFERENCE §0, §4b, §5a, §9).

It names the archived substatuses without the `archived_` prefix (`until_escalating`,
`until_condition_met`, `forever`) in every issue it answers and accepts only those names in updates
(400 naming `substatus` otherwise); it has no `recommended` event (404) and no `llmFormat`; its `project`
filters take numeric ids only (400 "Invalid project parameter. Values must be numbers." for a slug).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from . import routes_issues
from .api_base import ApiError, Ctx, Handler
from .flavor_tools import rewrite_json
from .issue_updates import LEGACY_SUBSTATUS

ORG = "/api/0/organizations/{org}"
Route = tuple[str, str, tuple[str, ...], Handler]
OLDER_NAMES = {current: older for older, current in LEGACY_SUBSTATUS.items()}
EVENT_NOT_FOUND = {"detail": routes_issues.EVENT_NOT_FOUND}


def _older_substatus(body: Any) -> Any:
    if isinstance(body, list):
        return [_older_substatus(item) for item in body]
    if isinstance(body, dict) and isinstance(body.get("substatus"), str):
        return {**body, "substatus": OLDER_NAMES.get(body["substatus"], body["substatus"])}
    return body


def _reads(handler: Handler) -> Handler:
    def answer(ctx: Ctx) -> Response:
        return rewrite_json(handler(ctx), _older_substatus)

    answer.__name__ = handler.__name__
    return answer


def _writes(handler: Handler) -> Handler:
    def answer(ctx: Ctx) -> Response:
        body = ctx.json_body()
        substatus = body.get("substatus") if isinstance(body, dict) else None
        if substatus in OLDER_NAMES:
            raise ApiError(400, {"substatus": [f'"{substatus}" is not a valid choice.']})
        return rewrite_json(handler(ctx), _older_substatus)

    answer.__name__ = handler.__name__
    return answer


def _event(handler: Handler) -> Handler:
    def answer(ctx: Ctx) -> Response:
        if ctx.path("event_id").lower() == "recommended":
            raise ApiError(404, EVENT_NOT_FOUND)
        return handler(ctx)

    answer.__name__ = handler.__name__
    return answer


def adapt(routes: list[Route]) -> list[Route]:
    """The sentry flavor's (path, method, scopes, handler) routes as an older self-hosted Sentry answers them."""
    reads = {
        f"{ORG}/issues/",
        f"{ORG}/issues/{{issue_id}}/",
        "/api/0/projects/{org}/{project}/issues/",
        "/api/0/issues/{issue_id}/",
    }
    events = {f"{ORG}/issues/{{issue_id}}/events/{{event_id}}/", "/api/0/issues/{issue_id}/events/{event_id}/"}
    adapted: list[Route] = []
    for path, method, scopes, handler in routes:
        if method == "PUT" and "/issues/" in path:
            handler = _writes(handler)
        elif path in reads:
            handler = _reads(handler)
        elif path in events:
            handler = _event(handler)
        adapted.append((path, method, scopes, handler))
    return adapted
