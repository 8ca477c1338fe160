"""Capability fallbacks on scripted answers shaped like GlitchTip's: when the client falls back, what it
remembers, and what the result says."""

from __future__ import annotations

import httpx
import pytest
from tenacity.wait import wait_none

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.base.errors import (
    InvalidParameter,
    SentryUnavailable,
    SharedStateUnavailable,
    UnsupportedByServer,
)
from mcp_servers.sentry_monitor.src.sentry import ApiResponse, retry
from mcp_servers.sentry_monitor.src.sentry.capabilities import (
    ISSUE_LOOKUP,
    ISSUE_SORT,
    Capabilities,
    Form,
    FormsMemory,
    means_missing,
)
from mcp_servers.sentry_monitor.src.sentry.kinds import ServerKind
from mcp_servers.sentry_monitor.src.shared.results import records
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio
ISSUE = {"id": "42", "shortId": "BACKEND-1", "title": "ValueError: bad", "count": "3", "status": "unresolved"}
HTML = httpx.Response(500, text="<!doctype html><h1>Server Error (500)</h1>", headers={"content-type": "text/html"})
ORG_ISSUE = "/organizations/acme/issues/42/"
LEGACY_ISSUE = "/api/0/issues/42/"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "_BACKOFF", wait_none())


async def run(sentry: ScriptedSentry, operation: str, **parameters: object) -> ModuleOutput:
    async with sentry.module() as module:
        return await module.execute(ModuleInput(operation=operation, parameters=parameters))


def glitchtip_issue() -> ScriptedSentry:
    return (
        ScriptedSentry()
        .on("GET", ORG_ISSUE, httpx.Response(405, json={"detail": "Method Not Allowed"}))
        .json("GET", LEGACY_ISSUE, ISSUE)
        .on("PUT", ORG_ISSUE, httpx.Response(200, json={**ISSUE, "status": "resolved", "short_id": "BACKEND-1"}))
    )


async def test_a_405_falls_back_to_the_older_route_and_is_remembered() -> None:
    sentry = glitchtip_issue()
    first = await run(sentry, "resolve-issue", issue_id="42")
    assert first.ok and sentry.paths() == [f"GET /api/0{ORG_ISSUE}", f"GET {LEGACY_ISSUE}", f"PUT /api/0{ORG_ISSUE}"]
    sentry.requests.clear()
    again = await run(sentry, "resolve-issue", issue_id="42")  # a new module: the process remembers the server
    assert again.ok and again.metadata.api_calls == 2 and sentry.paths()[0] == f"GET {LEGACY_ISSUE}"


async def test_a_short_id_where_only_numeric_lookups_exist_is_a_clear_failure() -> None:
    not_routed = httpx.Response(405, json={})
    sentry = (
        glitchtip_issue()
        .on("GET", "/organizations/acme/issues/BACKEND-1/", not_routed)
        .on("GET", "/organizations/acme/issues/BACKEND-1/events/latest/", not_routed)
    )
    output = await run(sentry, "get-issue-details", issue_id="backend-1")
    error = output.error
    assert error is not None and (error.code, error.details["capability"]) == ("UNSUPPORTED_BY_SERVER", "issue lookup")
    assert "numeric id" in error.recovery_suggestion and output.metadata.api_calls == 2
    assert output.status.value == "failure"


async def test_an_html_404_from_a_route_never_seen_answering_json_falls_back() -> None:
    page = httpx.Response(404, text="<html>Not Found</html>", headers={"content-type": "text/html"})
    sentry = (
        ScriptedSentry()
        .on("GET", ORG_ISSUE, page)
        .json("GET", LEGACY_ISSUE, ISSUE)
        .json("GET", "/issues/42/events/latest/", {"eventID": "a" * 32})
    )
    output = await run(sentry, "get-issue-details", issue_id="42")
    assert output.ok and f"GET {LEGACY_ISSUE}" in sentry.paths()


async def test_a_json_404_is_the_answer_not_a_missing_route() -> None:
    sentry = ScriptedSentry().on("GET", ORG_ISSUE, httpx.Response(404, json={"detail": "Not found"}))
    output = await run(sentry, "resolve-issue", issue_id="42")
    assert output.error is not None and output.error.code == "ISSUE_NOT_FOUND" and len(sentry.requests) == 1


async def test_sort_names_are_translated_after_a_422_naming_sort_and_user_is_said() -> None:
    refused = httpx.Response(422, json={"detail": [{"type": "enum", "loc": ["query", "sort"], "msg": "bad"}]})

    def older_list(request: httpx.Request) -> httpx.Response:
        if request.url.params["sort"] in ("date", "user"):
            return refused
        return httpx.Response(200, json=[{**ISSUE, "userCount": 0, "stats": {"24h": []}}])

    sentry = (
        ScriptedSentry()
        .json("GET", "/projects/acme/backend/", {"id": "7"})
        .on("GET", "/organizations/acme/issues/", older_list)
    )
    first = await run(sentry, "get-recent-issues", project_slug="backend")
    assert first.ok and first.warnings == [] and first.metadata.api_calls == 3
    assert [r.url.params["sort"] for r in sentry.requests[1:]] == ["date", "-last_seen"]
    by_users = await run(sentry, "get-recent-issues", project_slug="backend", sort="user")
    assert by_users.ok and sentry.requests[-1].url.params["sort"] == "-count"
    assert by_users.warnings == [
        "This server cannot sort issues by users (sort='user'); they are sorted by event count instead."
    ]


async def test_stats_without_outcomes_are_accepted_only_and_say_so() -> None:
    def stats(request: httpx.Request) -> httpx.Response:
        if "statsPeriod" in request.url.params:
            return httpx.Response(422, json={"detail": [{"type": "missing", "loc": ["query", "start"], "msg": "req"}]})
        assert "groupBy" not in request.url.params and request.url.params["end"] > request.url.params["start"]
        intervals = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]
        return httpx.Response(200, json={"intervals": intervals, "groups": [{"series": {"sum(quantity)": [None, 11]}}]})

    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", {"id": "7"}).on("GET", "/stats_v2/", stats)
    output = await run(sentry, "get-project-stats", project_slug="backend", period="7d")
    assert output.ok and output.data is not None
    assert output.data["totals"] == {"accepted": 11} and output.data["series"] == [0, 11]
    assert output.warnings and "accepted (stored) events only" in output.warnings[0]


async def test_snake_case_events_and_an_opaque_cursor_in_a_set_literal_link() -> None:
    link = (
        '{\'<https://gt.example/api/0/issues/42/events/?per_page=2>; rel="previous"; results="false", '
        '<https://gt.example/api/0/issues/42/events/?cursor=bz0wOjI6MA%3D%3D&per_page=2>; rel="next"; '
        'results="true"; cursor="bz0wOjI6MA=="\'}'
    )
    event = {"event_id": "b" * 32, "group_id": "42", "date_created": "2026-01-01T00:00:00Z", "title": "ValueError"}
    sentry = (
        ScriptedSentry()
        .on("GET", "/organizations/acme/issues/42/events/", HTML)
        .json("GET", "/api/0/issues/42/events/", [event, {**event, "event_id": "c" * 32}], {"link": link})
    )
    output = await run(sentry, "get-error-events", issue_id="42", limit=2)
    assert output.ok and output.data is not None
    events = records(output.data["events"])
    assert [e["event_id"] for e in events] == ["b" * 32, "c" * 32] and events[0]["timestamp"] == "2026-01-01T00:00:00Z"
    assert output.data["next_cursor"] == "bz0wOjI6MA=="
    assert len(sentry.requests) == 3  # the HTML 500 is retried once before it counts as a missing route


def test_what_counts_as_a_missing_route() -> None:
    html_500 = SentryUnavailable("x", status_code=500)
    html_500.answered_json = False
    json_500 = SentryUnavailable("x", status_code=500, error_id="e" * 32)
    json_500.answered_json = True
    assert means_missing(ISSUE_LOOKUP, UnsupportedByServer("x", status_code=405), route_was_json=True)
    assert means_missing(ISSUE_LOOKUP, html_500, route_was_json=False)
    assert not means_missing(ISSUE_LOOKUP, html_500, route_was_json=True)
    assert not means_missing(ISSUE_LOOKUP, json_500, route_was_json=False)
    assert not means_missing(ISSUE_LOOKUP, SentryUnavailable("x", status_code=503), route_was_json=False)
    named = InvalidParameter("sort", "x", status_code=422, rejected_parameters=["sort"])
    assert means_missing(ISSUE_SORT, named, route_was_json=True)
    assert not means_missing(
        ISSUE_SORT, InvalidParameter("q", "x", status_code=422, rejected_parameters=["query"]), True
    )
    assert not means_missing(ISSUE_SORT, UnsupportedByServer("x", status_code=405), route_was_json=False)
    assert Capabilities().offers_current(ISSUE_LOOKUP) is None


PAGE = httpx.Response(200, text="<!doctype html><app-root></app-root>", headers={"content-type": "text/html"})


async def test_a_web_page_for_a_route_counts_as_missing_only_on_a_server_that_answered_json_elsewhere() -> None:
    sentry = (
        ScriptedSentry()
        .json("GET", ORG_ISSUE, ISSUE)  # this server answers JSON ...
        .on("GET", "/organizations/acme/issues/42/events/latest/", PAGE)  # ... and a web page's catch-all here
        .json("GET", "/api/0/issues/42/events/latest/", {"eventID": "b" * 32, "entries": []})
    )
    output = await run(sentry, "get-issue-details", issue_id="42")
    assert output.ok, output.error
    assert "GET /api/0/issues/42/events/latest/" in sentry.paths()


async def test_a_web_page_in_front_of_sentry_is_a_bad_answer_naming_sentry_url() -> None:
    sentry = ScriptedSentry().on("GET", "/organizations/acme/issues/42/", PAGE).json("GET", LEGACY_ISSUE, ISSUE)
    output = await run(sentry, "get-issue-details", issue_id="42")
    assert output.error is not None and output.error.code == "BAD_UPSTREAM_RESPONSE"
    assert "SENTRY_URL" in output.error.recovery_suggestion and LEGACY_ISSUE not in " ".join(sentry.paths())


class DictForms(FormsMemory):
    """A memory shared by two `Capabilities` standing for two processes; `down` makes it unreachable."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], str] = {}
        self.down = False

    async def recall(self, server: str, field: str) -> str | None:
        if self.down:
            raise SharedStateUnavailable("down")
        return self.kept.get((server, field))

    async def remember(self, server: str, field: str, value: str) -> None:
        if self.down:
            raise SharedStateUnavailable("down")
        self.kept[server, field] = value


async def test_a_form_and_kind_learned_by_one_process_are_used_by_another_through_the_memory() -> None:
    forms = DictForms()
    await check_forms_are_shared(forms, forms)
    assert not await Capabilities("https://other.example.com/api/0/", forms).recall_kind()


async def check_forms_are_shared(first_memory: FormsMemory, second_memory: FormsMemory) -> None:
    """A form and kind learned with `first_memory` are used, without asking, by a `Capabilities` with the second
    (two processes' views of one shared memory)."""
    asked: list[str] = []

    async def missing() -> ApiResponse:
        asked.append("current")
        raise UnsupportedByServer("no", status_code=405)

    async def older() -> ApiResponse:
        asked.append("older")
        return ApiResponse(200, ISSUE, httpx.Headers())

    first = Capabilities("https://sentry.example.com/api/0/", first_memory)
    assert (await first.call(ISSUE_LOOKUP, missing, older))[1] is Form.OLDER
    first.identified(ServerKind("GlitchTip", "4.2"))
    await first.remember_kind()
    second = Capabilities("https://sentry.example.com/api/0/", second_memory)
    asked.clear()
    assert (await second.call(ISSUE_LOOKUP, missing, older))[1] is Form.OLDER and asked == ["older"]
    assert await second.recall_kind() and second.kind == ServerKind("GlitchTip", "4.2")


async def test_a_memory_out_of_reach_leaves_the_form_learned_here() -> None:
    forms = DictForms()
    forms.down = True
    capabilities = Capabilities("https://sentry.example.com/api/0/", forms)

    async def current() -> ApiResponse:
        return ApiResponse(200, ISSUE, httpx.Headers())

    assert (await capabilities.call(ISSUE_LOOKUP, current, current))[1] is Form.CURRENT
    assert capabilities.offers_current(ISSUE_LOOKUP) and not await capabilities.recall_kind()
