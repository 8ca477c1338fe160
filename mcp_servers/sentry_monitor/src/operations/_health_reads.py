"""The requests get-project-health makes, side by side, each answer kept or its failure kept for the caller.

Release-health sessions; accepted errors of the period and of the one before it (one stats_v2 call over
twice the period); and four issue lists whose `X-Hits` are the counts (the unresolved one also gives the
busiest issues).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from ..base.concurrency import gather_all
from ..base.errors import ProjectNotFound, UnsupportedByServer
from ..sentry import Params
from ..sentry.responses import ApiResponse
from .get_project_stats import INTERVALS
from .operation import OperationContext, Steps

TWICE = {"24h": "48h", "7d": "14d", "14d": "28d", "30d": "60d"}
SESSION_FIELDS = ["crash_free_rate(session)", "crash_free_rate(user)", "sum(session)", "count_unique(user)"]
COUNTS = {
    "unresolved": "is:unresolved",
    "new": "is:unresolved firstSeen:-{period}",
    "regressed": "is:regressed",
    "escalating": "is:escalating",
}
NO_SESSIONS = UnsupportedByServer(
    "GlitchTip keeps no release-health sessions, so crash-free rates cannot be read.", capability="sessions"
)
STATS_QUERY = {"field": "sum(quantity)", "category": "error", "outcome": "accepted", "groupBy": "outcome"}


@dataclass(frozen=True)
class HealthAnswers:
    """Each request's answer, or the exception it raised."""

    sessions: ApiResponse | Exception
    stats: ApiResponse | Exception
    lists: dict[str, ApiResponse | Exception]  # by the names of `COUNTS`, in its order


async def read_health(
    ctx: OperationContext, org: str, slug: str, project_id: str, period: str, top: int
) -> HealthAnswers:
    """Make the requests for one project and period; the unresolved list asks for its `top` busiest issues."""
    steps = Steps(ctx, total=2 + len(COUNTS))

    def get(resource: str, query: Params, scope: str, done: str) -> Awaitable[ApiResponse]:
        """A request of the project; statistics and issue lists go through the routes that differ by server."""
        params: Params = {"project": project_id, **query}
        expect: dict[str, Any] = {"not_found": ProjectNotFound, "bad_request_field": "period", "project": slug}
        if resource == "stats_v2":
            request = ctx.api.stats_v2(params, **expect)
        elif resource == "issues":
            request = ctx.api.issue_list(params, **expect)
        else:
            request = ctx.api.get(["organizations", org, resource], params=params, scope=scope, **expect)
        return steps.track(request, done)

    interval = INTERVALS[period]
    sessions_query = {"field": SESSION_FIELDS, "statsPeriod": period, "interval": interval, "includeSeries": "0"}
    stats_query = {**STATS_QUERY, "statsPeriod": TWICE[period], "interval": interval}
    sessions: Awaitable[ApiResponse]
    if (await ctx.api.server_kind()).release_health:
        sessions = get("sessions", sessions_query, "org:read", "read the crash-free rates")
    else:
        sessions = _none(NO_SESSIONS)
        steps.total = (steps.total or 1) - 1
    requests = [
        sessions,
        get("stats_v2", stats_query, "org:read", "read the error volume"),
        *(
            get("issues", _count_query(name, query, period, top), "event:read", f"counted the {name} issues")
            for name, query in COUNTS.items()
        ),
    ]
    outcomes = await gather_all(requests)
    return HealthAnswers(outcomes[0], outcomes[1], dict(zip(COUNTS, outcomes[2:], strict=True)))


async def _none(reason: Exception) -> ApiResponse:
    raise reason


def _count_query(name: str, query: str, period: str, top: int) -> dict[str, str | int | list[str]]:
    return {
        "statsPeriod": period,
        "query": query.format(period=period),
        "sort": "freq",
        "limit": top if name == "unresolved" else 1,
        "groupStatsPeriod": "",
        "collapse": ["stats", "lifetime", "filtered"],
    }
