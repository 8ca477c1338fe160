"""Every sandbox route answers in the shape of the published Sentry OpenAPI spec (200 schemas)."""

from __future__ import annotations

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.sandbox_helpers import assert_matches_spec, relax, response_schema

ORG = "/api/0/organizations/{organization_id_or_slug}"
# Stream-only keys the spec marks required and non-null, although real servers send null (or omit
# them) unless `expand=owners|inbox` is given and the issue is in the inbox.
STREAM_NULLABLE = ("owners", "inbox")


def _first_issue_id(api: httpx.Client) -> str:
    return str(api.get("organizations/sandbox/issues/", params={"query": ""}).json()[0]["id"])


def test_list_organizations_matches_spec(api: httpx.Client) -> None:
    response = api.get("organizations/")
    assert response.status_code == 200
    assert_matches_spec(response.json(), response_schema("/api/0/organizations/"))


def test_retrieve_organization_matches_spec(api: httpx.Client) -> None:
    response = api.get("organizations/sandbox/")
    assert response.status_code == 200
    assert_matches_spec(response.json(), response_schema(f"{ORG}/"))


def test_list_org_projects_matches_spec(api: httpx.Client) -> None:
    response = api.get("organizations/sandbox/projects/")
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()] == ["backend", "worker"]
    assert_matches_spec(response.json(), response_schema(f"{ORG}/projects/"))


def test_retrieve_project_matches_spec(api: httpx.Client, sandbox: SandboxServer) -> None:
    for key in ("backend", sandbox.project_id("worker")):
        response = api.get(f"projects/sandbox/{key}/")
        assert response.status_code == 200
        assert_matches_spec(
            response.json(), response_schema("/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/")
        )


@pytest.mark.parametrize("group_stats_period", ["24h", "14d", "auto"])
def test_list_issues_matches_spec(api: httpx.Client, group_stats_period: str) -> None:
    response = api.get("organizations/sandbox/issues/", params={"groupStatsPeriod": group_stats_period})
    assert response.status_code == 200
    assert len(response.json()) >= 10
    assert_matches_spec(response.json(), relax(response_schema(f"{ORG}/issues/"), nullable=STREAM_NULLABLE))


def test_list_all_issues_with_filtered_counts_matches_spec(api: httpx.Client) -> None:
    response = api.get("organizations/sandbox/issues/", params={"query": "release:backend@1.2.0", "statsPeriod": "14d"})
    assert response.status_code == 200
    assert all(item["filtered"] is not None for item in response.json())
    assert_matches_spec(response.json(), relax(response_schema(f"{ORG}/issues/"), nullable=STREAM_NULLABLE))


def test_deprecated_project_issue_list_matches_spec(api: httpx.Client) -> None:
    response = api.get("projects/sandbox/backend/issues/", params={"statsPeriod": "14d"})
    assert response.status_code == 200
    schema = response_schema("/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/")
    assert_matches_spec(response.json(), schema)


def test_retrieve_issue_matches_spec(api: httpx.Client) -> None:
    for issue in api.get("organizations/sandbox/issues/", params={"query": ""}).json():
        response = api.get(f"organizations/sandbox/issues/{issue['id']}/")
        assert response.status_code == 200
        assert_matches_spec(response.json(), response_schema(f"{ORG}/issues/{{issue_id}}/"))


@pytest.mark.parametrize(
    "body",
    [
        {"status": "resolved"},
        {"status": "resolvedInNextRelease"},
        {"status": "resolved", "statusDetails": {"inRelease": "latest"}},
        {"status": "ignored", "statusDetails": {"ignoreDuration": 30}},
        {"status": "ignored", "statusDetails": {"ignoreCount": 10, "ignoreWindow": 60}},
        {"status": "ignored", "statusDetails": {"ignoreUserCount": 3, "ignoreUserWindow": 60}},
        {"status": "ignored", "substatus": "archived_until_escalating"},
        {"status": "unresolved"},
        {"assignedTo": "user:1", "hasSeen": True, "isBookmarked": True, "priority": "high"},
    ],
)
def test_update_issue_matches_spec(api: httpx.Client, body: dict[str, object]) -> None:
    response = api.put(f"organizations/sandbox/issues/{_first_issue_id(api)}/", json=body)
    assert response.status_code == 200, response.text
    assert_matches_spec(response.json(), response_schema(f"{ORG}/issues/{{issue_id}}/", "put"))


def test_list_issue_events_matches_spec(api: httpx.Client) -> None:
    response = api.get(f"organizations/sandbox/issues/{_first_issue_id(api)}/events/")
    assert response.status_code == 200
    assert_matches_spec(response.json(), response_schema(f"{ORG}/issues/{{issue_id}}/events/"))


@pytest.mark.parametrize("which", ["latest", "oldest", "recommended"])
def test_retrieve_issue_event_matches_spec(api: httpx.Client, which: str) -> None:
    for issue in api.get("organizations/sandbox/issues/", params={"query": ""}).json():
        response = api.get(f"organizations/sandbox/issues/{issue['id']}/events/{which}/")
        assert response.status_code == 200
        assert_matches_spec(response.json(), response_schema(f"{ORG}/issues/{{issue_id}}/events/{{event_id}}/"))


def test_retrieve_project_event_matches_spec(api: httpx.Client) -> None:
    latest = api.get(f"organizations/sandbox/issues/{_first_issue_id(api)}/events/latest/").json()
    response = api.get(f"projects/sandbox/{latest['projectID']}/events/{latest['eventID']}/")
    assert response.status_code == 200
    path = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/events/{event_id}/"
    assert_matches_spec(response.json(), response_schema(path))


def test_short_id_lookup_matches_spec(api: httpx.Client) -> None:
    response = api.get("organizations/sandbox/shortids/BACKEND-1/")
    assert response.status_code == 200
    assert_matches_spec(response.json(), response_schema(f"{ORG}/shortids/{{issue_id}}/"))


@pytest.mark.parametrize("group_by", [["outcome"], ["outcome", "reason"], ["category"], []])
def test_stats_v2_matches_spec(api: httpx.Client, group_by: list[str]) -> None:
    params = {"field": "sum(quantity)", "statsPeriod": "30d", "interval": "1d", "groupBy": group_by}
    response = api.get("organizations/sandbox/stats_v2/", params=params)
    assert response.status_code == 200
    assert_matches_spec(response.json(), response_schema(f"{ORG}/stats_v2/"))


def test_sessions_matches_spec(api: httpx.Client) -> None:
    params = {
        "field": ["sum(session)", "crash_free_rate(session)", "count_unique(user)"],
        "statsPeriod": "24h",
        "groupBy": ["release"],
    }
    response = api.get("organizations/sandbox/sessions/", params=params)
    assert response.status_code == 200
    assert_matches_spec(response.json(), response_schema(f"{ORG}/sessions/"))
