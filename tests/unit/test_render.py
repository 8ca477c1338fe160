"""The text a model reads: what matters first, bounded, truncation said."""

from __future__ import annotations

from mcp_servers.framework.contracts import ErrorCategory, ErrorDetail, ModuleOutput, OutputMetadata
from mcp_servers.sentry_monitor.src.operations._issue_list import render_issue_list
from mcp_servers.sentry_monitor.src.operations.get_error_events import ErrorEvents, EventSummary, render_error_events
from mcp_servers.sentry_monitor.src.operations.get_issue_details import IssueDetail, IssueDetails, render_issue_details
from mcp_servers.sentry_monitor.src.operations.get_project_stats import (
    ProjectStats,
    SeriesPoint,
    Trend,
    render_project_stats,
)
from mcp_servers.sentry_monitor.src.operations.get_recent_issues import RecentIssues
from mcp_servers.sentry_monitor.src.shared.events import EventInfo, ExceptionInfo, UserInfo
from mcp_servers.sentry_monitor.src.shared.issues import IssueSummary, permalink_template, short_culprit
from mcp_servers.sentry_monitor.src.shared.text import tool_text, when

META = OutputMetadata(operation="x", duration_ms=1, api_calls=1)
ISSUE = IssueSummary(
    id="1",
    short_id="BACKEND-1",
    title="ZeroDivisionError: division by zero",
    culprit="app.calc",
    level="error",
    status="unresolved",
    substatus="new",
    count=12,
    user_count=3,
    first_seen="2026-11-01T00:00:00Z",
    last_seen="2026-11-30T00:00:00Z",
    is_unhandled=True,
    error_type="ZeroDivisionError",
    error_value="division by zero",
    assignee=None,
    permalink="http://127.0.0.1/organizations/sandbox/issues/1/",
)


def frame(function: str, in_app: bool, line: int = 1) -> str:
    return f"{function} ({function}.py:{line})" + (" [in app]" if in_app else "")


def test_recent_issues_lead_with_id_counts_and_permalink() -> None:
    text = render_issue_list(RecentIssues(issues=[ISSUE], total_hits=40, next_cursor="0:25:0"))
    assert text.startswith("1 of 40 unresolved issues:")
    assert "BACKEND-1 [error unhandled, new] ZeroDivisionError" in text
    assert "12 events, 3 users" in text and ISSUE.permalink in text  # type: ignore[operator]
    assert "cursor=0:25:0" in text


def test_recent_issues_share_what_they_share_once() -> None:
    other = ISSUE.model_copy(
        update={
            "id": "22",
            "short_id": "BACKEND-2",
            "status": "ignored",
            "substatus": None,
            "culprit": "mcp_servers.app.billing in charge_card",
            "last_seen": "2026-11-30T10:04:05.123456Z",
            "permalink": "http://127.0.0.1/organizations/sandbox/issues/22/",
        }
    )
    template = permalink_template([ISSUE, other])
    assert template == "http://127.0.0.1/organizations/sandbox/issues/{id}/"
    listed = [issue.model_copy(update={"permalink": None}) for issue in (ISSUE, other)]
    text = render_issue_list(RecentIssues(issues=listed, total_hits=2, permalink_template=template))
    assert text.startswith("2 of 2 issues:") and "[error unhandled, unresolved/new]" in text
    assert "BACKEND-2 (#22) [error unhandled, ignored]" in text and ", at mcp_servers.app.billing in" in text
    assert short_culprit("mcp_servers.app.billing in charge_card") == "billing in charge_card"
    assert "seen 2026-11-01T00:00Z to 2026-11-30T10:04Z" in text
    assert when("2026-11-30T10:04:05Z") == "2026-11-30T10:04:05Z"
    assert ISSUE.permalink is not None and ISSUE.permalink not in text
    assert "Links: http://127.0.0.1/organizations/sandbox/issues/{id}/ ({id}: the number after #)" in text
    apart = other.model_copy(update={"permalink": "https://elsewhere.example/issues/22/"})
    assert permalink_template([ISSUE, apart]) is None
    text = render_issue_list(RecentIssues(issues=[ISSUE, apart], total_hits=2))
    assert "Links:" not in text and "https://elsewhere.example/issues/22/" in text and "(#" not in text


def test_issue_details_show_the_crashing_in_app_frame_and_the_cause() -> None:
    frames = [frame(f"lib{i}", False) for i in range(10)] + [frame("handler", True, 42), frame("socket", False)]
    event = EventInfo(
        event_id="a" * 32,
        timestamp="2026-11-30T00:00:00.123Z",
        exceptions=[
            ExceptionInfo(handled=False, frames=frames, crash_source="return handle(request)"),
            ExceptionInfo(type="KeyError", value="'id'", frames=[frame("load", True)]),
        ],
        user=UserInfo(email="a@example.com"),
        release="1.2.0",
        environment="production",
    )
    assert event.timestamp == "2026-11-30T00:00:00Z"
    detail = IssueDetail(**ISSUE.model_dump(), count_24h=5, count_30d=12, first_release="1.0.0", last_release="1.2.0")
    text = render_issue_details(IssueDetails(issue=detail, latest_event=event))
    assert f"Raised: {ISSUE.title} (unhandled)" in text  # the type and value left out as the title's
    assert "at handler (handler.py:42)\n     return handle(request)" in text
    assert "at socket (socket.py:1) (library)" in text
    assert "Caused by: KeyError: 'id'" in text
    assert "10 more frames not shown" in text and "user a@example.com" in text


def test_events_and_stats_render() -> None:
    events = ErrorEvents(
        events=[
            EventSummary(
                event_id="b" * 32, timestamp="t", title="boom", environment="staging", release="1.1.0", location="x.py"
            )
        ],
    )
    assert "boom (staging, 1.1.0, x.py)" in render_error_events(events)
    stats = ProjectStats(
        period="24h",
        interval="1h",
        totals={"accepted": 3, "filtered": 1},
        series_start="t0",
        series=[1, 2],
        peak=SeriesPoint(start="t1", accepted=2),
        trend=Trend(first_half=1, second_half=2, change_pct=100.0),
    )
    text = render_project_stats(stats)
    assert "accepted 3, filtered 1" in text and "Peak: 2 at t1" in text and "(+100%)" in text


def test_errors_render_code_field_and_next_step_and_long_text_is_cut() -> None:
    failed = ModuleOutput(
        status="failure",
        metadata=META,
        error=ErrorDetail(
            code="INVALID_PARAMETER",
            message="limit too big",
            category=ErrorCategory.VALIDATION,
            recovery_suggestion="use 1-100",
            details={"field": "limit"},
        ),
    )
    assert tool_text(failed, None, 24_000) == (
        "Error INVALID_PARAMETER: limit too big\nField: limit\nRetry: no, not until the cause is fixed.\n"
        "Next step: use 1-100"
    )
    ok = ModuleOutput(status="success", data={}, metadata=META, warnings=["w"], recommendations=["r"])
    long = tool_text(ok, "line\n" * 5000, 4_000)
    assert len(long) <= 4_000 and "[cut to the 4,000-character budget:" in long and "narrow the call" in long
    assert long.endswith("Warning: w\nNext: r")


def test_changed_issue_says_the_new_state_and_its_condition() -> None:
    from mcp_servers.sentry_monitor.src.operations._status_change import ChangedIssue, IssueState, render_changed_issue

    state = IssueState(
        id="1",
        short_id="BACKEND-1",
        status="ignored",
        substatus="archived_until_condition_met",
        status_details={"ignoreCount": 100, "ignoreWindow": 60},
    )
    text = render_changed_issue(ChangedIssue(issue=state, changed=True))
    assert text == "BACKEND-1 is now ignored/archived_until_condition_met (until 100 more events, within 60 minutes)"
    same = state.model_copy(update={"status": "resolved", "substatus": None, "status_details": {}})
    assert render_changed_issue(ChangedIssue(issue=same, changed=False)) == "BACKEND-1 is already resolved"


def test_projects_lead_with_the_slug() -> None:
    from mcp_servers.sentry_monitor.src.operations.list_projects import ProjectInfo, Projects, render_projects

    backend = ProjectInfo(
        slug="backend", name="Backend", platform="python", id="7", has_sessions=True, latest_release="1.2"
    )
    text = render_projects(Projects(projects=[backend], total=3))
    assert text.splitlines() == [
        "1 of 3 projects (slug: name, platform, latest release):",
        "- backend: Backend (python, release 1.2, sessions)",
    ]
    assert render_projects(Projects(projects=[], total=3)) == "No project matches (of 3)."
