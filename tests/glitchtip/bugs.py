"""The server's known wrong answers on GlitchTip, one reason each, shared by the tests that show them.

A test of a fact the server gets wrong today carries `xfail(strict=True)` with one of these reasons (or
`glitchtip_frontend_bug` when it goes wrong only with GT_FRONTEND=1), so the tier is green now and turns
red when a fix lands without its marker being removed.
"""

from __future__ import annotations

import pytest

CATCH_ALL = (
    "GT_FRONTEND=1: GlitchTip's web page answers the organization-scoped event routes with 200 text/html; "
    "the server answers BAD_UPSTREAM_RESPONSE '200 with a body that is not JSON' instead of using issues/{id}/..."
)
CHECK_READY = (
    "GT_FRONTEND=1: --check says 'Result: ready.' while get-event and get-error-events cannot read an event "
    "(the event capabilities are 'not determined (BAD_UPSTREAM_RESPONSE)')"
)
CHECK_SCOPES = "--check says 'Sentry did not list the token's scopes' although GET /api/0/ lists them in auth.scopes"
SEARCH_ALL_PROJECTS = (
    "search-issues without project_slug sends project=-1 (Sentry's 'all projects'), which GlitchTip matches "
    "nothing with: it answers 'No issues match'"
)
USER_COUNT = "GlitchTip's userCount is always 0 (its users are in issues/{id}/tags/): the server shows '0 users'"
DETAIL_TAGS = (
    "get-issue-details shows empty top_tags and first_release null although issues/{id}/tags/ and the issue's "
    "events have them"
)
EVENT_PAGING = (
    "get-error-events pages with per_page, which GlitchTip ignores (it pages with limit): with limit below the "
    "issue's events it cuts the page and gives no next_cursor"
)
OLDEST_EVENT = (
    "get-event offers event_id='oldest', which GlitchTip answers with 422 (its event ids are UUIDs): the server "
    "answers INVALID_PARAMETER ('fix the parameter') instead of reading the oldest event or saying it is unsupported"
)
SHORT_ID_RECOMMENDED = (
    "get-recent-issues recommends get-issue-details(issue_id='BACKEND-N'), a short id, which GlitchTip cannot "
    "look up (UNSUPPORTED_BY_SERVER)"
)
ESCALATING_PROMISE = (
    "ignore-issue(until_escalating=True) recommends 'Sentry reopens ... as escalating': GlitchTip keeps no ignore "
    "condition and never reopens an ignored issue"
)
STATS_FUTURE = (
    "get-project-stats 24h shows hourly buckets that start in the future (GlitchTip's last bucket ends 1 h after end)"
)
STATS_DAILY = (
    "get-project-stats 7d reads GlitchTip's 1d buckets, whose SQL counts only the first hour of each day: "
    "it says accepted 0 (or too few)"
)
HEALTH_NEW = (
    "get-project-health asks for new issues with firstSeen:-24h, which GlitchTip reads as a tag: it says 0 new "
    "issues when all are minutes old"
)
PATTERNS_NEW = (
    "analyze-error-patterns finds 0 new issues (firstSeen:-24h is a tag query on GlitchTip) and says nothing "
    "stands out, with no warning that it could not look"
)
PATTERNS_UNHANDLED = (
    "analyze-error-patterns counts every issue as handled: GlitchTip's issues have no isUnhandled, though their "
    "events' exception mechanism says handled=false"
)
PATTERNS_ENVIRONMENTS = (
    "analyze-error-patterns adds each issue's lifetime count to every environment it occurs in (GlitchTip's counts "
    "ignore the environment filter): the per-environment events overlap and exceed the total"
)
PATTERNS_RELEASES = (
    "analyze-error-patterns finds no first release for any issue (GlitchTip's issue has no firstRelease; its "
    "events carry the release)"
)


def frontend_bug(reason: str) -> pytest.MarkDecorator:
    """xfail(strict=True) with GT_FRONTEND=1 only (see conftest.pytest_collection_modifyitems)."""
    return pytest.mark.glitchtip_frontend_bug(reason=reason)
