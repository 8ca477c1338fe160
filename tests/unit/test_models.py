"""Tolerant parsing of the shapes other Sentry-compatible servers send (GlitchTip, older self-hosted Sentry)."""

from __future__ import annotations

from mcp_servers.sentry_monitor.src.sentry import models
from mcp_servers.sentry_monitor.src.shared.issues import issue_summary


def test_a_glitchtip_issue_without_sentrys_newer_keys_parses() -> None:
    issue = models.Issue.model_validate(
        {"id": 7, "shortId": "BACKEND-7", "title": "KeyError: 'x'", "count": "4", "userCount": 0, "stats": {"24h": []}}
    )
    summary = issue_summary(issue)
    assert (summary.id, summary.count, summary.user_count, summary.substatus) == ("7", 4, 0, None)
    assert (summary.is_unhandled, summary.assignee) == (None, None)
    assert issue.series_total("24h") is None and issue.series_total("30d") is None


def test_a_snake_case_issue_from_a_glitchtip_put_parses() -> None:
    issue = models.Issue.model_validate(
        {"id": "7", "short_id": "BACKEND-7", "status": "resolved", "status_details": {"x": 1}, "user_count": "2"}
    )
    assert (issue.short_id, issue.status, issue.status_details, issue.user_count) == (
        "BACKEND-7",
        "resolved",
        {"x": 1},
        2,
    )


def test_older_substatus_names_read_as_the_current_ones() -> None:
    names = {"until_escalating": "archived_until_escalating", "forever": "archived_forever", "ongoing": "ongoing"}
    for older, current in names.items():
        assert models.Issue.model_validate({"id": "1", "substatus": older}).substatus == current


def test_null_counts_in_a_series_are_skipped() -> None:
    issue = models.Issue.model_validate({"id": "1", "stats": {"24h": [[1, None], [2, 3], [3, None]]}})
    assert issue.series_total("24h") == 3


def test_a_snake_case_event_keeps_its_id_date_and_release_tag() -> None:
    event = models.Event.model_validate(
        {"event_id": "A" * 32, "date_created": "2026-01-01T00:00:00Z", "tags": [{"key": "release", "value": "1.0"}]}
    )
    assert (event.key, event.date_created, event.release, event.tag("release")) == (
        "A" * 32,
        "2026-01-01T00:00:00Z",
        None,
        "1.0",
    )
