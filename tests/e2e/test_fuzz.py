"""Made-up arguments through the real stdio server: 1,000 calls, each a correct result or a clear failure.

Hypothesis draws arguments for every tool: wrong types, missing and extra fields, empty and huge strings,
unicode and control characters, null bytes, `../` and `%2F`, URLs to other hosts, out-of-range numbers and
unknown enum values. No call may crash, no request may leave for a path built from invalid input, and the
server must still answer a valid call correctly afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_servers.sentry_monitor.src.shared.results import records
from tests.conftest import account_for_changes, issue_states
from tests.e2e.raw_server import RawServer
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

CALLS = 1000
BUDGET = 3_000  # characters: no result over it, whatever the arguments
FIELDS = {
    "list-projects": ("query",),
    "get-recent-issues": ("project_slug", "limit", "status", "query", "sort", "cursor"),
    "search-issues": ("query", "project_slug", "limit", "sort", "cursor"),
    "get-issue-details": ("issue_id",),
    "get-event": ("issue_id", "event_id"),
    "get-error-events": ("issue_id", "limit", "cursor"),
    "resolve-issue": ("issue_id", "in_next_release"),
    "ignore-issue": ("issue_id", "duration_minutes", "count", "window_minutes", "user_count", "until_escalating"),
    "unresolve-issue": ("issue_id",),
    "update-issues": ("status", "assignee", "issue_ids", "project_slug", "query", "dry_run", "max_issues"),
    "get-project-stats": ("project_slug", "period"),
    "get-project-health": (
        "project_slug",
        "period",
        "critical_crash_free_pct",
        "degraded_crash_free_pct",
        "critical_error_increase_pct",
        "degraded_error_increase_pct",
    ),
    "analyze-error-patterns": ("project_slug", "period", "top", "spike_factor", "spike_min_events"),
    "assign-issue": ("issue_id", "assignee"),
    "list-assignees": ("project_slug", "query"),
    "add-issue-note": ("issue_id", "text"),
    "get-issue-tags": ("issue_id", "keys", "top"),
}
# Failures a well-formed call may rightly answer (the thing named does not exist, or lies outside the org).
EXPECTED_FAILURES = {
    "INVALID_PARAMETER",
    "ISSUE_NOT_FOUND",
    "PROJECT_NOT_FOUND",
    "EVENT_NOT_FOUND",
    "ASSIGNEE_NOT_FOUND",
}
# What a request path may look like: known routes, each segment a slug, a number, a short id or an event id.
SAFE_PATH = re.compile(
    r"^/api/0/(organizations/sandbox/(issues/([0-9]+|[A-Z0-9_-]+)/"
    r"(events/(latest/|oldest/|recommended/|[0-9a-f]{32}/)?|tags/|notes/)?"
    r"|issues/|stats_v2/|sessions/|projects/|)"
    r"|projects/sandbox/[a-z0-9_][a-z0-9_-]*/(environments/|members/|teams/)?|)$"  # the last: GET /api/0/ (`me`)
)

NASTY = st.sampled_from(
    [
        "",
        " ",
        "../",
        "../../etc/passwd",
        "backend/../worker",
        "backend%2F..%2Fworker",
        "%2e%2e%2f",
        "BACKEND-1/../../",
        "BACKEND-1%2Fevents",
        "1\x00",
        "\x00",
        "\u202ebackend",
        "\uff22\uff21\uff23\uff2b-1",  # full-width letters
        "http://evil.example/organizations/sandbox/issues/1/",
        "https://sentry.io/organizations/sandbox/issues/1/",
        "//evil.example/issues/1",
        "x" * 10_000,
        "1" * 30,
        "0:100:0",
        "0:0:1\r\nX-Injected: 1",
        "is:unresolved\x07",
    ]
)
NUMBERS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True), st.booleans())
JUNK = st.one_of(
    NASTY,
    NUMBERS,
    st.text(max_size=60),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
# Values a careful caller would send, per field, so that many calls get through to Sentry.
GOOD = {
    "project_slug": st.sampled_from(["backend", "worker", "no-such-project"]),
    "issue_id": st.one_of(
        st.builds("BACKEND-{}".format, st.integers(1, 12)),
        st.builds("WORKER-{}".format, st.integers(1, 8)),
        st.integers(1, 10**12).map(str),
    ),
    "issue_ids": st.lists(
        st.one_of(st.builds("BACKEND-{}".format, st.integers(1, 12)), st.integers(1, 10**12).map(str)),
        min_size=1,
        max_size=3,
    ),
    "dry_run": st.booleans(),
    "max_issues": st.integers(1, 100),
    "limit": st.integers(1, 100),
    "status": st.sampled_from(["unresolved", "resolved", "ignored"]),
    "query": st.sampled_from(["level:error", "is:unhandled", "TypeError", "release:1.0.0"]),
    "sort": st.sampled_from(["date", "freq", "new", "user"]),
    "cursor": st.sampled_from(["0:2:0", "0:0:1", "1700000000000:0:1"]),
    "period": st.sampled_from(["24h", "7d", "14d", "30d"]),
    "event_id": st.one_of(st.sampled_from(["latest", "oldest", "recommended"]), st.uuids().map(lambda u: u.hex)),
    "in_next_release": st.booleans(),
    "duration_minutes": st.integers(1, 600),
    "count": st.integers(1, 1000),
    "window_minutes": st.integers(1, 10080),
    "user_count": st.integers(1, 100),
    "until_escalating": st.booleans(),
    "top": st.integers(1, 50),
    "text": st.sampled_from(["On it.", "Root cause: the pool is too small.", "x" * 5000]),
    "keys": st.lists(st.sampled_from(["release", "environment", "url", "user", "no.such.key"]), max_size=3),
    "spike_factor": st.floats(1, 20),
    "spike_min_events": st.integers(1, 100),
    "critical_crash_free_pct": st.floats(0, 100),
    "degraded_crash_free_pct": st.floats(0, 100),
    "critical_error_increase_pct": st.floats(0, 1000),
    "degraded_error_increase_pct": st.floats(0, 1000),
    "assignee": st.sampled_from(["ana", "#platform", "#backend-devs", "me", "none", "2", "nobody", "dev@example.com"]),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "list-projects": (),
    "get-recent-issues": ("project_slug",),
    "search-issues": ("query",),
    "get-project-stats": ("project_slug",),
    "get-project-health": ("project_slug",),
    "analyze-error-patterns": ("project_slug",),
    "get-event": ("issue_id", "event_id"),
    "update-issues": ("status", "issue_ids"),
    "assign-issue": ("issue_id", "assignee"),
    "list-assignees": ("project_slug",),
    "add-issue-note": ("issue_id", "text"),
}


@st.composite
def tool_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A well-formed call with at most one field made up (half of the time), or a wholly made-up one."""
    tool = draw(st.sampled_from(sorted(FIELDS)))
    fields = FIELDS[tool]
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)))
        required = REQUIRED.get(tool, ("issue_id",))
        arguments = {name: draw(GOOD[name]) for name in sorted({*required, *chosen})}
        if draw(st.booleans()):
            arguments[draw(st.sampled_from([*fields, "extra"]))] = draw(JUNK)
        return tool, arguments
    names = draw(st.lists(st.sampled_from([*fields, "extra", "project", "issue"]), unique=True, max_size=4))
    return tool, {name: draw(st.one_of(JUNK, *(GOOD[n] for n in GOOD if n == name))) for name in names}


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    sandbox.reset()
    sandbox.clear_requests()
    env = {"SENTRY_URL": sandbox.url, "SENTRY_AUTH_TOKEN": sandbox.token, "SENTRY_ORG": sandbox.org_slug}
    env["SENTRY_MONITOR_MAX_RESULT_CHARS"] = str(BUDGET)  # small, so that made-up arguments run into it often
    LEDGER.asked.clear()
    before = issue_states(sandbox)
    with RawServer(env, stderr_path=Path(tmp_path_factory.mktemp("fuzz")) / "stderr.log") as raw:
        raw.initialize()
        yield raw
    LEDGER.scan_file(raw.stderr_path)
    account_for_changes(sandbox, before)
    sandbox.reset()


def check_outcome(tool: str, arguments: dict[str, Any], reply: dict[str, Any]) -> None:
    assert "result" in reply, (tool, arguments, reply)  # never a protocol error for an object of arguments
    result = reply["result"]
    outcome = result["structuredContent"]
    text = "".join(block["text"] for block in result["content"])
    assert len(text) <= BUDGET and len(json.dumps(outcome, separators=(",", ":"))) <= BUDGET, (tool, arguments)
    if not result["isError"]:
        assert outcome["status"] in ("success", "partial_success"), outcome
        return
    error = outcome["error"]
    assert outcome["status"] == "failure" and error["code"] in EXPECTED_FAILURES, (tool, arguments, error)
    if error["code"] == "INVALID_PARAMETER":
        field = error["details"]["field"].split(".")[0]
        assert field in FIELDS[tool] or field in arguments, (tool, arguments, error)
        assert error["recovery_suggestion"]


def test_a_thousand_made_up_calls_then_a_correct_answer(server: RawServer, sandbox: SandboxServer) -> None:
    counts: dict[str, int] = {}

    @settings(
        max_examples=CALLS,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(tool_calls())
    def one_call(call: tuple[str, dict[str, Any]]) -> None:
        tool, arguments = call
        reply = server.call(tool, arguments)
        check_outcome(tool, arguments, reply)
        outcome = reply["result"]["structuredContent"]
        kind = outcome["error"]["code"] if outcome["error"] else outcome["status"]
        counts[kind] = counts.get(kind, 0) + 1

    one_call()
    print(f"fuzz: {counts}, {len(sandbox.requests())} Sentry requests")
    assert sum(counts.values()) >= CALLS and counts["INVALID_PARAMETER"] > CALLS / 2 and counts["success"] > 50, counts

    bad_paths = [r["path"] for r in sandbox.requests() if not SAFE_PATH.match(r["path"])]
    assert bad_paths == [], bad_paths[:5]
    assert server.process.poll() is None and "Traceback" not in server.stderr()

    sandbox.reset()  # resolve-issue calls with well-formed ids did resolve issues; the server keeps no issue state
    reply = server.call("get-recent-issues", {"project_slug": "backend", "limit": 3})["result"]
    assert not reply["isError"] and len(records(reply["structuredContent"]["data"]["issues"])) == 3


def test_an_issue_url_of_another_host_is_refused_not_followed(server: RawServer, sandbox: SandboxServer) -> None:
    sandbox.clear_requests()
    for url in ("http://evil.example/organizations/sandbox/issues/1/", "https://sentry.io/organizations/x/issues/1/"):
        reply = server.call("get-issue-details", {"issue_id": url})["result"]
        error = reply["structuredContent"]["error"]
        assert (error["code"], error["details"]["field"]) == ("INVALID_PARAMETER", "issue_id")
        assert "not at the configured Sentry" in error["message"]
    assert sandbox.requests() == []
