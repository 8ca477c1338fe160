"""What the glitchtip and sentry-legacy flavors answer differently from the sentry flavor (issue 6)."""

from __future__ import annotations

import base64

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.server import SandboxError
from tests.conftest import SandboxPool
from tests.sandbox.sandbox_helpers import api_client

ISSUES = "organizations/sandbox/issues/"


def client(pool: SandboxPool, flavor: str) -> tuple[SandboxServer, httpx.Client]:
    sandbox = pool.get(flavor)
    return sandbox, api_client(sandbox)


def test_glitchtip_routes_issue_reads_only_by_the_older_paths(sandbox_pool: SandboxPool) -> None:
    sandbox, api = client(sandbox_pool, "glitchtip")
    issue_id = sandbox.store.issues()[0].id
    assert api.get(f"{ISSUES}{issue_id}/").status_code == 405
    for path in (
        f"{ISSUES}{issue_id}/events/",
        f"{ISSUES}{issue_id}/events/latest/",
        "projects/sandbox/backend/stats/",
    ):
        answer = api.get(path)
        assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/html"), path
    issue = api.get(f"issues/{issue_id}/").json()
    assert issue["userCount"] == 0 and issue["stats"] == {"24h": []}
    assert not {"assignedTo", "substatus", "priority", "isUnhandled", "hasSeen"} & issue.keys()
    events = api.get(f"issues/{issue_id}/events/").json()
    assert {"event_id", "group_id", "project_id", "date_created", "date_received"} <= events[0].keys()
    assert "eventID" not in events[0] and "release" not in api.get(f"issues/{issue_id}/events/latest/").json()
    assert (
        api.get(f"organizations/sandbox/shortids/{sandbox.store.short_id(sandbox.store.issues()[0])}/").status_code
        == 404
    )


def test_glitchtip_issue_list_sorts_cursors_and_link(sandbox_pool: SandboxPool) -> None:
    sandbox, api = client(sandbox_pool, "glitchtip")
    project = sandbox.project_id("backend")
    refused = api.get(ISSUES, params={"project": project, "sort": "date"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "sort"]
    page = api.get(ISSUES, params={"project": project, "sort": "-count", "limit": 3})
    link = page.headers["link"]
    assert link.startswith("{'<") and link.endswith("'}") and 'rel="previous"; results="false", <' in link
    cursor = link.rsplit('cursor="', 1)[1].split('"', 1)[0]
    assert base64.b64decode(cursor) == b"o=0:3:0" and int(page.headers["x-hits"]) > 3
    counts = [int(issue["count"]) for issue in page.json()]
    assert counts == sorted(counts, reverse=True)
    following = api.get(ISSUES, params={"project": project, "sort": "-count", "limit": 3, "cursor": cursor})
    assert {i["id"] for i in following.json()}.isdisjoint(i["id"] for i in page.json())
    assert api.get(ISSUES, params={"project": project, "cursor": "not-base64!"}).status_code == 400
    assert api.get(ISSUES, params={"project": "backend"}).status_code == 400  # numeric project ids only


def test_glitchtip_stats_need_start_and_end_and_count_accepted_only(sandbox_pool: SandboxPool) -> None:
    sandbox, api = client(sandbox_pool, "glitchtip")
    base = {"field": "sum(quantity)", "category": "error", "project": sandbox.project_id("backend")}
    refused = api.get("organizations/sandbox/stats_v2/", params={**base, "statsPeriod": "24h", "groupBy": "outcome"})
    assert refused.status_code == 422
    assert {item["loc"][-1] for item in refused.json()["detail"]} == {"start", "end", "statsPeriod", "groupBy"}
    window = {"start": "2020-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z", "interval": "1d"}
    stats = api.get("organizations/sandbox/stats_v2/", params={**base, **window}).json()
    (group,) = stats["groups"]
    assert set(stats) == {"intervals", "groups"} and set(group) == {"series"}
    series = group["series"]["sum(quantity)"]
    assert None in series and sum(v or 0 for v in series) > 0 and 0 not in series


def test_glitchtip_writes_answer_snake_case_and_deltas(sandbox_pool: SandboxPool) -> None:
    sandbox, api = client(sandbox_pool, "glitchtip")
    issue_id = sandbox.store.issues()[0].id
    try:
        single = api.put(f"{ISSUES}{issue_id}/", json={"status": "resolved"}).json()
        assert single["status"] == "resolved" and "short_id" in single and "shortId" not in single
        bulk = api.put(ISSUES, params={"id": issue_id}, json={"status": "unresolved"}).json()
        assert bulk == {"status": "unresolved", "merge": None}
    finally:
        sandbox.reset()


def test_glitchtip_groups_by_title(sandbox_pool: SandboxPool) -> None:
    titles = [issue.latest.digest.title for issue in sandbox_pool.get("glitchtip").store.issues()]
    assert len(titles) == len(set(titles)) and len(titles) > len(sandbox_pool.get("sentry").store.issues())


def test_legacy_names_substatuses_the_older_way(sandbox_pool: SandboxPool) -> None:
    sandbox, api = client(sandbox_pool, "sentry-legacy")
    archived = api.get(ISSUES, params={"query": "is:ignored"}).json()
    assert archived and {issue["substatus"] for issue in archived} == {"until_escalating"}
    issue_id = sandbox.store.issues()[0].id
    refused = api.put(f"{ISSUES}{issue_id}/", json={"status": "ignored", "substatus": "archived_forever"})
    assert refused.status_code == 400 and list(refused.json()) == ["substatus"]
    try:
        taken = api.put(f"{ISSUES}{issue_id}/", json={"status": "ignored", "substatus": "forever"})
        assert taken.json()["substatus"] == "forever"
    finally:
        sandbox.reset()
    assert api.get(f"{ISSUES}{issue_id}/events/recommended/").status_code == 404
    assert api.get(f"{ISSUES}{issue_id}/events/latest/").status_code == 200
    assert api.get(ISSUES, params={"project": "backend"}).status_code == 400


def test_an_unknown_flavor_is_refused() -> None:
    with pytest.raises(SandboxError, match="unknown flavor"):
        SandboxServer(flavor="bugsnag")
