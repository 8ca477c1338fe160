"""What the seed plants for the analysis tools, and the environments route they read."""

from __future__ import annotations

from typing import Any

import httpx

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.sandbox_helpers import assert_matches_spec, response_schema

ENVIRONMENTS = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/environments/"


def test_project_environments_are_the_ones_events_named(api: httpx.Client, sandbox: SandboxServer) -> None:
    backend = api.get("projects/sandbox/backend/environments/")
    assert [e["name"] for e in backend.json()] == ["production", "staging"]
    assert_matches_spec(backend.json(), response_schema(ENVIRONMENTS))
    worker = api.get(f"projects/sandbox/{sandbox.project_id('worker')}/environments/", params={"visibility": "all"})
    assert [e["name"] for e in worker.json()] == ["production"]
    assert api.get("projects/sandbox/backend/environments/", params={"visibility": "hidden"}).json() == []
    assert api.get("projects/sandbox/backend/environments/", params={"visibility": "some"}).status_code == 400
    assert api.get("projects/sandbox/nope/environments/").status_code == 404


def _issues(api: httpx.Client, query: str, **params: str) -> list[dict[str, Any]]:
    response = api.get("organizations/sandbox/issues/", params={"query": query, "statsPeriod": "24h", **params})
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_the_seed_plants_a_spike_a_regression_an_escalation_and_a_new_release(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    busiest = _issues(api, "is:unresolved", sort="freq")[0]
    assert "connection pool exhausted" in busiest["title"]
    assert sum(count for _, count in busiest["stats"]["24h"][-3:]) >= 30  # 45 events in the last 2.5 hours
    (escalating,) = _issues(api, "is:escalating")
    assert escalating["title"].startswith("PaymentGatewayError")
    (regressed,) = _issues(api, "is:regressed")
    assert "cache miss storm" in regressed["title"]
    regression = api.get(f"organizations/sandbox/issues/{regressed['id']}/").json()
    assert regression["lastRelease"]["version"] == "backend@1.2.0" != regression["firstRelease"]["version"]
    (new,) = _issues(api, "is:unresolved firstSeen:-24h", project=sandbox.project_id("backend"))
    detail = api.get(f"organizations/sandbox/issues/{new['id']}/").json()
    assert detail["firstRelease"]["version"] == "backend@1.3.0" and new["title"].startswith("TypeError")
