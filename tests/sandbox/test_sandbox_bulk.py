"""Bulk synthetic issues: stored in one step, served by the list, detail and event endpoints like seeded ones."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer, SandboxStore
from mcp_servers.sentry_sandbox.bulk import add_issues
from tests.sandbox.sandbox_helpers import api_client


@pytest.fixture(scope="module")
def bulk_sandbox() -> Iterator[SandboxServer]:
    """An unseeded sandbox (its own, so the shared seeded one keeps 15 issues) with 250 bulk issues."""
    with SandboxServer(port=0) as server:
        add_issues(server.store, 250, events_per_issue=3)
        yield server


@pytest.fixture
def client(bulk_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with api_client(bulk_sandbox) as api:
        yield api


def test_bulk_issues_page_through_the_issue_list(bulk_sandbox: SandboxServer, client: httpx.Client) -> None:
    params: dict[str, str | int] = {
        "project": bulk_sandbox.project_id("backend"),
        "query": "is:unresolved",
        "limit": 100,
    }
    first = client.get("organizations/sandbox/issues/", params=params)
    assert first.status_code == 200 and first.headers["X-Hits"] == "250"
    assert len(first.json()) == 100 and first.json()[0]["count"] == "3"
    last = client.get("organizations/sandbox/issues/", params={**params, "cursor": "0:200:0"})
    assert len(last.json()) == 50 and 'rel="next"; results="false"' in last.headers["Link"]


def test_bulk_issue_has_detail_latest_event_and_events(client: httpx.Client) -> None:
    issue = client.get("organizations/sandbox/issues/BACKEND-7/").json()
    assert issue["shortId"] == "BACKEND-7" and issue["title"].startswith(("ValueError", "KeyError", "TypeError"))
    assert issue["title"].endswith("synthetic failure #6") and issue["culprit"].endswith("handle_task_6")
    latest = client.get(f"organizations/sandbox/issues/{issue['id']}/events/latest/").json()
    frames = latest["entries"][0]["data"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "handle_task_6" and frames[-1]["inApp"] is True
    assert latest["dateCreated"] == issue["lastSeen"]
    events = client.get(f"organizations/sandbox/issues/{issue['id']}/events/").json()
    assert len(events) == 3


def test_add_issues_is_deterministic_and_numbers_on() -> None:
    first, second = SandboxStore(), SandboxStore()
    ids = add_issues(first, 5)
    add_issues(second, 5)
    assert [e.event_id for e in first.events()] == [e.event_id for e in second.events()]
    more = add_issues(first, 5, project_slug="backend")
    assert set(ids).isdisjoint(more) and len(first.issues()) == 10
    assert len({issue.fingerprint_hash for issue in first.issues()}) == 10
    assert add_issues(first, 0) == []


def test_add_issues_refuses_unknown_project_and_bad_counts() -> None:
    store = SandboxStore()
    with pytest.raises(KeyError):
        add_issues(store, 1, project_slug="nope")
    with pytest.raises(ValueError):
        add_issues(store, -1)
    with pytest.raises(ValueError):
        add_issues(store, 1, events_per_issue=0)
    with pytest.raises(ValueError):
        store.add_new_issue(store.projects[0], None, [])  # type: ignore[arg-type]
