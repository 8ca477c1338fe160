"""Every parameter constraint answers INVALID_PARAMETER naming the field, before any request leaves."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.framework.contracts import ModuleInput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from tests.fakes import ScriptedSentry

pytestmark = pytest.mark.anyio

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("get-recent-issues", {}, "project_slug"),
    ("get-recent-issues", {"project_slug": "../admin"}, "project_slug"),
    ("get-recent-issues", {"project_slug": "a%2Fb"}, "project_slug"),
    ("get-recent-issues", {"project_slug": "backend", "limit": 0}, "limit"),
    ("get-recent-issues", {"project_slug": "backend", "limit": 251}, "limit"),
    ("get-recent-issues", {"project_slug": "backend", "limit": "many"}, "limit"),
    ("get-recent-issues", {"project_slug": "backend", "limit": True}, "limit"),
    ("get-recent-issues", {"project_slug": "backend", "limit": 5.5}, "limit"),
    ("get-recent-issues", {"project_slug": True}, "project_slug"),
    ("get-recent-issues", {"project_slug": "backend", "status": "open"}, "status"),
    ("get-recent-issues", {"project_slug": "backend", "sort": "priority"}, "sort"),
    ("get-recent-issues", {"project_slug": "backend", "query": "a\x00b"}, "query"),
    ("get-recent-issues", {"project_slug": "backend", "query": "x" * 501}, "query"),
    ("get-recent-issues", {"project_slug": "backend", "cursor": "0:0:0&project=1"}, "cursor"),
    ("get-recent-issues", {"project_slug": "backend", "project": "x"}, "project"),
    ("get-recent-issues", {"project_slug": None}, "project_slug"),
    ("get-issue-details", {}, "issue_id"),
    ("get-issue-details", {"issue_id": ""}, "issue_id"),
    ("get-issue-details", {"issue_id": "../../1"}, "issue_id"),
    ("get-issue-details", {"issue_id": "https://evil.example.com/organizations/acme/issues/1/"}, "issue_id"),
    ("get-issue-details", {"issue_id": "https://sentry.example.com/organizations/other/issues/1/"}, "issue_id"),
    ("get-error-events", {"issue_id": "1", "limit": 1000}, "limit"),
    ("get-error-events", {"issue_id": "1", "limit": -1}, "limit"),
    ("get-error-events", {"issue_id": "1", "cursor": "../x"}, "cursor"),
    ("resolve-issue", {"issue_id": "1; DROP"}, "issue_id"),
    ("resolve-issue", {"issue_id": "1", "status": "ignored"}, "status"),
    ("resolve-issue", {"issue_id": "1", "in_next_release": "maybe"}, "in_next_release"),
    ("ignore-issue", {"issue_id": "1", "count": 5, "user_count": 5}, "user_count"),
    ("ignore-issue", {"issue_id": "1", "window_minutes": 5}, "window_minutes"),
    ("ignore-issue", {"issue_id": "1", "duration_minutes": 0}, "duration_minutes"),
    ("ignore-issue", {"issue_id": "1", "until_escalating": "yes please"}, "until_escalating"),
    ("unresolve-issue", {"issue_id": "%2E%2E"}, "issue_id"),
    ("list-projects", {"query": "a\x07b"}, "query"),
    ("list-projects", {"slug": "backend"}, "slug"),
    ("search-issues", {}, "query"),
    ("search-issues", {"query": ""}, "query"),
    ("search-issues", {"query": "is:unresolved\r\nX-Evil: 1"}, "query"),
    ("search-issues", {"query": "is:unresolved", "limit": 101}, "limit"),
    ("search-issues", {"query": "is:unresolved", "project_slug": "a/b"}, "project_slug"),
    ("get-event", {"issue_id": "1"}, "event_id"),
    ("get-event", {"issue_id": "1", "event_id": "../latest"}, "event_id"),
    ("get-event", {"issue_id": "1", "event_id": "f" * 31}, "event_id"),
    ("get-project-stats", {"project_slug": "backend", "period": "1y"}, "period"),
    ("get-project-stats", {"project_slug": "backend", "period": 24}, "period"),
    ("get-project-health", {}, "project_slug"),
    ("get-project-health", {"project_slug": "backend", "period": "90d"}, "period"),
    ("get-project-health", {"project_slug": "backend", "critical_crash_free_pct": 101}, "critical_crash_free_pct"),
    ("get-project-health", {"project_slug": "backend", "critical_crash_free_pct": True}, "critical_crash_free_pct"),
    ("get-project-health", {"project_slug": "backend", "degraded_crash_free_pct": 90}, "degraded_crash_free_pct"),
    (
        "get-project-health",
        {"project_slug": "backend", "critical_error_increase_pct": -1},
        "critical_error_increase_pct",
    ),
    (
        "get-project-health",
        {"project_slug": "backend", "degraded_error_increase_pct": 150},
        "degraded_error_increase_pct",
    ),
    ("analyze-error-patterns", {"project_slug": "../x"}, "project_slug"),
    ("analyze-error-patterns", {"project_slug": "backend", "period": "1h"}, "period"),
    ("analyze-error-patterns", {"project_slug": "backend", "top": 0}, "top"),
    ("analyze-error-patterns", {"project_slug": "backend", "top": 51}, "top"),
    ("analyze-error-patterns", {"project_slug": "backend", "top": 2.5}, "top"),
    ("analyze-error-patterns", {"project_slug": "backend", "spike_factor": 0.5}, "spike_factor"),
    ("analyze-error-patterns", {"project_slug": "backend", "spike_factor": float("nan")}, "spike_factor"),
    ("analyze-error-patterns", {"project_slug": "backend", "spike_factor": False}, "spike_factor"),
    ("analyze-error-patterns", {"project_slug": "backend", "spike_min_events": "many"}, "spike_min_events"),
    ("analyze-error-patterns", {"project_slug": "backend", "spike_min_events": 0}, "spike_min_events"),
]


@pytest.mark.parametrize(("operation", "parameters", "field"), CASES)
async def test_invalid_parameters_name_the_field_and_send_nothing(
    operation: str, parameters: dict[str, Any], field: str
) -> None:
    sentry = ScriptedSentry()
    async with sentry.module() as module:
        output = await module.execute(ModuleInput(operation=operation, parameters=parameters))
    assert output.error is not None, output
    assert (output.status.value, output.error.code, output.error.category.value) == (
        "failure",
        "INVALID_PARAMETER",
        "validation",
    )
    assert output.error.details["field"] == field
    assert output.error.recovery_suggestion
    assert sentry.requests == []


async def test_numbers_are_accepted_as_issue_ids() -> None:
    sentry = ScriptedSentry().json("GET", "/events/", [])
    async with sentry.module() as module:
        output = await module.execute(ModuleInput(operation="get-error-events", parameters={"issue_id": 4505}))
    assert output.ok
    assert sentry.requests[0].url.path == "/api/0/organizations/acme/issues/4505/events/"


async def test_unknown_operation_lists_the_available_ones() -> None:
    output = await ScriptedSentry().module().execute(ModuleInput(operation="delete-everything"))
    assert output.error is not None and output.error.code == "UNKNOWN_OPERATION"
    assert "get-recent-issues" in output.error.details["available"]


async def test_missing_token_answers_not_configured_for_every_operation() -> None:
    module = SentryErrorMonitorModule(environ={})
    for operation in module.operations:
        output = await module.execute(ModuleInput(operation=operation, parameters={}))
        assert output.error is not None and output.error.code == "NOT_CONFIGURED"
        assert output.status.value == "error" and "SENTRY_AUTH_TOKEN" in output.error.recovery_suggestion


async def test_invalid_configuration_names_the_variable() -> None:
    module = SentryErrorMonitorModule(environ={"SENTRY_AUTH_TOKEN": "sntryu_x", "SENTRY_MONITOR_TIMEOUT": "-3"})
    output = await module.execute(ModuleInput(operation="get-project-stats", parameters={"project_slug": "a"}))
    assert output.error is not None and output.error.code == "INVALID_CONFIGURATION"
    assert output.error.details["variable"] == "SENTRY_MONITOR_TIMEOUT"


async def test_read_only_mode_refuses_to_resolve_without_a_request() -> None:
    sentry = ScriptedSentry()
    async with sentry.module(read_only=True) as module:
        output = await module.execute(ModuleInput(operation="resolve-issue", parameters={"issue_id": "1"}))
    assert output.error is not None and (output.error.code, output.status.value) == ("READ_ONLY", "failure")
    assert sentry.requests == []


async def test_a_bug_in_a_handler_is_an_internal_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(issue: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr("mcp_servers.sentry_monitor.src.operations._issue_list.issue_summary", broken)
    sentry = ScriptedSentry().json("GET", "/projects/acme/backend/", {"id": "1"})
    sentry.json("GET", "/organizations/acme/issues/", [{"id": "1"}])
    output = await sentry.module().execute(
        ModuleInput(operation="get-recent-issues", parameters={"project_slug": "backend"})
    )
    assert output.error is not None and output.error.code == "INTERNAL_ERROR"
    assert output.error.category.value == "internal"


async def test_the_deadline_covers_the_whole_operation() -> None:
    import anyio
    import httpx

    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200, json={})

    sentry = ScriptedSentry()
    module = SentryErrorMonitorModule(sentry.module(timeout=1.0).settings, transport=httpx.MockTransport(slow))
    started = anyio.current_time()
    output = await module.execute(ModuleInput(operation="get-project-stats", parameters={"project_slug": "a"}))
    assert output.error is not None and output.error.code == "TIMEOUT" and output.error.retryable
    assert anyio.current_time() - started < 2.0
