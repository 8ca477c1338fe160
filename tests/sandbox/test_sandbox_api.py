"""API behaviour: auth, errors, pagination, search, updates, events, stats, controls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.sandbox_helpers import api_client, links

ISSUES = "organizations/sandbox/issues/"


def _all_issues(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = api.get(ISSUES, params={"query": "", **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


# -- auth and errors ------------------------------------------------------------------------------


def test_missing_or_wrong_token_is_401(sandbox: SandboxServer) -> None:
    assert httpx.get(f"{sandbox.url}/api/0/organizations/").status_code == 401
    wrong = httpx.get(f"{sandbox.url}/api/0/organizations/", headers={"Authorization": "Bearer sntryu_nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid token"}


def test_read_only_token_reads_but_cannot_update(api: httpx.Client, sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.read_only_token) as read_only:
        assert read_only.get(ISSUES).status_code == 200
        response = read_only.put(f"{ISSUES}BACKEND-1/", json={"status": "resolved"})
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_unknown_resources_are_404(api: httpx.Client) -> None:
    not_found = {"detail": "The requested resource does not exist"}
    for path in (
        "organizations/nope/",
        "organizations/nope/issues/",
        f"{ISSUES}1/",
        f"{ISSUES}NOPE-1/",
        "projects/sandbox/nope/",
    ):
        response = api.get(path)
        assert (response.status_code, response.json()) == (404, not_found), path
    assert api.get("no/such/route/").status_code == 404
    assert api.delete("organizations/").status_code == 405


def test_project_filter_errors(api: httpx.Client) -> None:
    assert api.get(ISSUES, params={"project": "backend"}).status_code == 200  # current Sentry takes slugs
    assert api.get(ISSUES, params={"project": "no-such"}).json() == {
        "detail": "Invalid project parameter. Values must be numbers."
    }
    assert api.get(ISSUES, params={"project": "999"}).status_code == 403
    assert (
        api.get("organizations/sandbox/stats_v2/", params={"field": "sum(quantity)", "project": "9"}).status_code == 403
    )


def test_discard_needs_event_admin(api: httpx.Client) -> None:
    assert api.put(f"{ISSUES}BACKEND-1/", json={"discard": True}).status_code == 403


# -- organizations and projects -------------------------------------------------------------------


def test_organization_identity(api: httpx.Client, sandbox: SandboxServer) -> None:
    (org,) = api.get("organizations/").json()
    assert (org["id"], org["slug"], org["name"]) == ("1", "sandbox", "Sandbox")
    assert org["links"] == {"organizationUrl": sandbox.url, "regionUrl": sandbox.url}
    assert api.get("organizations/", params={"query": "slug:other"}).json() == []
    assert api.get("organizations/1/").json()["slug"] == "sandbox"


def test_projects_query_and_detail(api: httpx.Client, sandbox: SandboxServer) -> None:
    assert [p["slug"] for p in api.get("organizations/sandbox/projects/", params={"query": "work"}).json()] == [
        "worker"
    ]
    assert [p["slug"] for p in api.get("organizations/sandbox/projects/", params={"query": "slug:backend"}).json()] == [
        "backend"
    ]
    assert len(api.get("organizations/sandbox/projects/", params={"all_projects": "1"}).json()) == 2
    detail = api.get(f"projects/sandbox/{sandbox.project_id('backend')}/").json()
    assert detail["slug"] == "backend" and detail["platform"] == "python"
    assert detail["latestRelease"] == {"version": "backend@1.3.0"}  # the seed's last release ships a new bug
    assert detail["environments"] == ["production", "staging"]
    assert detail["hasSessions"] is True


# -- issue list ---------------------------------------------------------------------------------


def test_link_pagination_walks_every_issue(api: httpx.Client) -> None:
    everything = [i["id"] for i in _all_issues(api)]
    seen: list[str] = []
    response = api.get(ISSUES, params={"query": "", "limit": 4})
    assert links(response)["previous"][1:] == (False, "0:0:1")
    assert response.headers["X-Hits"] == str(len(everything))
    assert response.headers["X-Max-Hits"] == "1000"
    while True:
        seen += [i["id"] for i in response.json()]
        url, has_more, cursor = links(response)["next"]
        if not has_more:
            break
        assert url.endswith(f"&cursor={cursor}") and "limit=4" in url
        response = httpx.get(url, headers=api.headers)
    assert seen == everything


def test_list_parameter_errors(api: httpx.Client) -> None:
    assert api.get(ISSUES, params={"cursor": "bogus"}).json() == {"detail": "Invalid cursor parameter."}
    assert api.get(ISSUES, params={"groupStatsPeriod": "7d"}).status_code == 400
    assert api.get(ISSUES, params={"sort": "weird"}).status_code == 400
    assert api.get(ISSUES, params={"query": "is:sleeping"}).status_code == 400
    assert api.get(ISSUES, params={"query": "error.unhandled:maybe"}).status_code == 400
    assert api.get(ISSUES, params={"statsPeriod": "soon"}).status_code == 400
    assert api.get(ISSUES, params={"statsPeriod": "1d", "start": "2024-01-01T00:00:00Z"}).status_code == 400
    assert api.get(ISSUES, params={"start": "2024-01-02T00:00:00Z", "end": "2024-01-01T00:00:00Z"}).status_code == 400
    assert api.get(ISSUES, params={"limit": "many"}).status_code == 400
    assert len(api.get(ISSUES, params={"limit": 1000, "query": ""}).json()) <= 100


def test_default_query_is_unresolved_and_empty_query_is_everything(api: httpx.Client) -> None:
    default = api.get(ISSUES).json()
    assert {i["status"] for i in default} == {"unresolved"}
    everything = _all_issues(api)
    assert {i["status"] for i in everything} == {"unresolved", "resolved", "ignored"}
    assert len(everything) > len(default)


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("is:resolved", lambda i: i["status"] == "resolved"),
        ("is:ignored", lambda i: i["status"] == "ignored"),
        ("is:archived", lambda i: i["status"] == "ignored"),
        ("is:new", lambda i: i["substatus"] == "new"),
        ("is:regressed", lambda i: i["substatus"] == "regressed"),
        ("is:ongoing", lambda i: i["substatus"] == "ongoing"),
        ("is:unresolved level:warning", lambda i: False),
        ("level:warning", lambda i: i["level"] == "warning"),
        ("error.unhandled:true", lambda i: i["isUnhandled"]),
        ("error.unhandled:false", lambda i: not i["isUnhandled"]),
        ("error.handled:false", lambda i: i["isUnhandled"]),
        ("pool exhausted", lambda i: "pool exhausted" in i["title"]),
        ('"cache miss"', lambda i: "cache miss" in i["title"]),
        ("demo_app in merge_totals", lambda i: "merge_totals" in i["culprit"]),
        ("firstSeen:-4d", lambda i: i["substatus"] in ("new", "regressed") or i["status"] != "unresolved"),
        ("lastSeen:+20d", lambda i: i["shortId"] == "WORKER-2"),
        ("release:worker@2.0.0", lambda i: i["project"]["slug"] == "worker"),
        ("environment:staging", lambda i: i["project"]["slug"] == "backend"),
        ("!environment:production", lambda i: i["project"]["slug"] == "backend"),
        ("user.email:ana@example.com", lambda i: i["userCount"] >= 1),
        ("issue:BACKEND-1", lambda i: i["shortId"] == "BACKEND-1"),
        ("is:unassigned", lambda i: i["assignedTo"] is None),
        ("is:for_review unknownkey:value", lambda i: True),
    ],
)
def test_issue_search_terms(api: httpx.Client, query: str, check: Any) -> None:
    response = api.get(ISSUES, params={"query": query})
    assert response.status_code == 200, response.text
    items = response.json()
    if query != "is:unresolved level:warning":
        assert items, query
    assert all(check(i) for i in items), [i["shortId"] for i in items]


def test_assigned_and_bookmarked_search(api: httpx.Client) -> None:
    api.put(f"{ISSUES}WORKER-1/", json={"assignedTo": "sandbox@example.com", "isBookmarked": True})
    for query in ("assigned:me", "is:assigned", "is:bookmarked"):
        assert [i["shortId"] for i in api.get(ISSUES, params={"query": query}).json()] == ["WORKER-1"], query
    assert api.put(f"{ISSUES}WORKER-1/", json={"assignedTo": "team:2"}).json()["assignedTo"]["type"] == "team"
    assert api.put(f"{ISSUES}WORKER-1/", json={"assignedTo": ""}).json()["assignedTo"] is None


def test_sorts(api: httpx.Client) -> None:
    by_freq = _all_issues(api, sort="freq")
    assert [int(i["count"]) for i in by_freq] == sorted((int(i["count"]) for i in by_freq), reverse=True)
    by_new = _all_issues(api, sort="new")
    assert [i["firstSeen"] for i in by_new] == sorted((i["firstSeen"] for i in by_new), reverse=True)
    by_users = _all_issues(api, sort="user")
    assert [i["userCount"] for i in by_users] == sorted((i["userCount"] for i in by_users), reverse=True)
    by_date = _all_issues(api)
    assert [i["lastSeen"] for i in by_date] == sorted((i["lastSeen"] for i in by_date), reverse=True)
    assert _all_issues(api, sort="priority")[0]["priority"] == "high"


def test_stats_period_is_the_search_window(api: httpx.Client) -> None:
    recent = _all_issues(api, statsPeriod="24h", groupStatsPeriod="auto")
    everything = _all_issues(api)
    assert 0 < len(recent) < len(everything)
    spike = next(i for i in recent if i["shortId"] == "BACKEND-6")
    assert int(spike["count"]) == sum(n for _, n in spike["stats"]["auto"]) >= 50
    assert int(spike["lifetime"]["count"]) > int(spike["count"])
    week = _all_issues(api, start="2000-01-01T00:00:00Z", end="2100-01-01T00:00:00Z", groupStatsPeriod="14d")
    assert len(week) == len(everything) and len(week[0]["stats"]["14d"]) == 14
    assert "stats" not in _all_issues(api, groupStatsPeriod="")[0]
    assert all(i["project"]["slug"] == "worker" for i in _all_issues(api, environment="production", project=["-1"])[:0])


def test_project_filter_restricts_issues(api: httpx.Client, sandbox: SandboxServer) -> None:
    worker = _all_issues(api, project=sandbox.project_id("worker"))
    assert worker and {i["project"]["slug"] for i in worker} == {"worker"}
    both = _all_issues(api, project=[sandbox.project_id("worker"), sandbox.project_id("backend")])
    assert len(both) == len(_all_issues(api, project="-1"))


def test_direct_hits_by_short_id_and_event_id(api: httpx.Client, sandbox: SandboxServer) -> None:
    response = api.get(ISSUES, params={"query": "backend-6", "shortIdLookup": "1"})
    assert response.headers["X-Sentry-Direct-Hit"] == "1"
    assert [i["shortId"] for i in response.json()] == ["BACKEND-6"]
    event = sandbox.store.issue(int(response.json()[0]["id"])).latest  # type: ignore[union-attr]
    by_event = api.get(ISSUES, params={"query": event.event_id})
    assert [i["shortId"] for i in by_event.json()] == ["BACKEND-6"]
    restricted = api.get(ISSUES, params={"query": event.event_id, "project": sandbox.project_id("worker")})
    assert "X-Sentry-Direct-Hit" not in restricted.headers


# -- one issue ----------------------------------------------------------------------------------


def test_issue_detail_by_numeric_and_short_id(api: httpx.Client, sandbox: SandboxServer) -> None:
    by_short = api.get(f"{ISSUES}backend-5/").json()
    by_id = api.get(f"{ISSUES}{by_short['id']}/").json()
    assert by_short["id"] == by_id["id"] and by_short["shortId"] == "BACKEND-5"
    assert by_short["permalink"] == f"{sandbox.url}/organizations/sandbox/issues/{by_short['id']}/"
    assert len(by_short["stats"]["24h"]) == 24 and len(by_short["stats"]["30d"]) == 30
    assert by_short["firstRelease"]["version"] == "backend@1.0.0" or by_short["firstRelease"]["version"].startswith(
        "backend@"
    )
    tags = {t["key"]: t for t in by_short["tags"]}
    assert {"environment", "release", "level", "handled", "user"} <= tags.keys()
    assert tags["level"]["totalValues"] == int(by_short["count"])
    assert by_short["activity"][-1]["type"] == "first_seen"
    assert api.get(f"{ISSUES}issue:BACKEND-5/").json()["id"] == by_short["id"]
    assert api.get(f"{ISSUES}{by_short['id']}/", params={"environment": "nowhere"}).json()["count"] == "0"


def test_legacy_issue_routes_take_numeric_ids_only(api: httpx.Client) -> None:
    issue_id = api.get(f"{ISSUES}BACKEND-1/").json()["id"]
    assert api.get(f"issues/{issue_id}/").json()["shortId"] == "BACKEND-1"
    assert api.get("issues/BACKEND-1/").status_code == 404
    assert api.get(f"issues/{issue_id}/events/latest/").json()["groupID"] == issue_id
    assert len(api.get(f"issues/{issue_id}/events/").json()) > 1
    assert api.put(f"issues/{issue_id}/", json={"status": "resolved"}).json()["status"] == "resolved"


def test_shortid_endpoint(api: httpx.Client) -> None:
    body = api.get("organizations/sandbox/shortids/worker-3/").json()
    assert (body["organizationSlug"], body["projectSlug"], body["shortId"]) == ("sandbox", "worker", "WORKER-3")
    assert body["group"]["id"] == body["groupId"]
    assert api.get(f"organizations/sandbox/shortids/{body['groupId']}/").json()["shortId"] == "WORKER-3"
    assert api.get("organizations/sandbox/shortids/WORKER-ZZ/").status_code == 404


# -- updates --------------------------------------------------------------------------------------


def _put(api: httpx.Client, body: Any, issue: str = "BACKEND-1") -> httpx.Response:
    return api.put(f"{ISSUES}{issue}/", json=body)


def test_resolve_and_unresolve(api: httpx.Client) -> None:
    resolved = _put(api, {"status": "resolved"}).json()
    assert (resolved["status"], resolved["substatus"], resolved["statusDetails"]) == ("resolved", None, {})
    assert resolved["count"] == api.get(f"{ISSUES}BACKEND-1/").json()["count"]
    reopened = _put(api, {"status": "unresolved"}).json()
    assert (reopened["status"], reopened["substatus"]) == ("unresolved", "ongoing")
    assert _put(api, {"status": "unresolved"}, "BACKEND-9").json()["substatus"] == "new"


def test_resolve_in_next_release_and_in_release(api: httpx.Client) -> None:
    for body in ({"status": "resolvedInNextRelease"}, {"status": "resolved", "statusDetails": {"inNextRelease": True}}):
        details = _put(api, body).json()["statusDetails"]
        assert details["inNextRelease"] is True and details["actor"]["email"] == "sandbox@example.com"
    in_release = _put(api, {"status": "resolved", "statusDetails": {"inRelease": "latest"}}).json()
    assert in_release["statusDetails"]["inRelease"] == "backend@1.3.0"
    unknown = _put(api, {"status": "resolved", "statusDetails": {"inRelease": "nope@0"}})
    assert unknown.status_code == 400 and "inRelease" in unknown.json()["statusDetails"]
    commit = _put(api, {"status": "resolved", "statusDetails": {"inCommit": {"commit": "abc", "repository": "r"}}})
    assert commit.json()["statusDetails"]["inCommit"]["commit"] == "abc"


def test_ignore_recipes(api: httpx.Client) -> None:
    until = _put(api, {"status": "ignored", "statusDetails": {"ignoreDuration": 60}}).json()
    assert until["substatus"] == "archived_until_condition_met" and "ignoreUntil" in until["statusDetails"]
    assert "ignoreDuration" not in until["statusDetails"]
    count = _put(api, {"status": "ignored", "ignoreCount": 5, "ignoreWindow": 30}).json()
    assert (count["statusDetails"]["ignoreCount"], count["statusDetails"]["ignoreWindow"]) == (5, 30)
    escalating = _put(api, {"status": "ignored", "substatus": "archived_until_escalating"}).json()
    assert (escalating["substatus"], escalating["statusDetails"]) == ("archived_until_escalating", {})
    forever = _put(api, {"status": "ignored"}).json()
    assert forever["substatus"] == "archived_forever"
    muted = _put(api, {"status": "muted"}).json()
    assert muted["status"] == "ignored"
    assert _put(api, {"substatus": "until_escalating"}).json()["substatus"] == "archived_until_escalating"


def test_expired_ignore_duration_unarchives(api: httpx.Client, sandbox: SandboxServer) -> None:
    issue_id = _put(api, {"status": "ignored", "statusDetails": {"ignoreDuration": 1}}).json()["id"]
    issue = sandbox.store.issue(int(issue_id))
    assert issue is not None and issue.snooze is not None and issue.snooze.until is not None
    issue.snooze.until = issue.snooze.until.replace(year=2000)
    detail = api.get(f"{ISSUES}{issue_id}/").json()
    assert (detail["status"], detail["substatus"]) == ("unresolved", "ongoing")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"status": "sleeping"}, {"status": ['"sleeping" is not a valid choice.']}),
        ({"substatus": "dozing"}, {"substatus": ['"dozing" is not a valid choice.']}),
        ({"priority": "urgent"}, {"priority": ['"urgent" is not a valid choice.']}),
        (
            {"assignedTo": "someone@else"},
            {"assignedTo": ["Could not parse actor. Format should be `type:id` where type is `team` or `user`."]},
        ),
        ({"hasSeen": "yes"}, {"hasSeen": ["Must be a valid boolean."]}),
        (["status"], {"detail": "Invalid request body: expected a JSON object."}),
    ],
)
def test_invalid_updates_are_400(api: httpx.Client, body: Any, expected: dict[str, Any]) -> None:
    before = api.get(f"{ISSUES}BACKEND-1/").json()
    response = _put(api, body)
    assert (response.status_code, response.json()) == (400, expected)
    assert api.get(f"{ISSUES}BACKEND-1/").json()["status"] == before["status"]


def test_invalid_status_details_are_400(api: httpx.Client) -> None:
    assert (
        _put(api, {"status": "ignored", "statusDetails": {"ignoreWindow": 20000, "ignoreCount": 1}}).status_code == 400
    )
    assert _put(api, {"status": "ignored", "statusDetails": {"ignoreCount": "x"}}).status_code == 400
    assert _put(api, {"status": "ignored", "statusDetails": {"ignoreCount": 0}}).status_code == 400
    assert _put(api, {"status": "ignored", "statusDetails": "x"}).status_code == 400
    assert api.put(f"{ISSUES}BACKEND-1/", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400


def test_bulk_update(api: httpx.Client, sandbox: SandboxServer) -> None:
    ids = [api.get(f"{ISSUES}{s}/").json()["id"] for s in ("BACKEND-1", "BACKEND-2")]
    response = api.put(ISSUES, params={"id": ids}, json={"status": "resolved"})
    assert response.json() == {"status": "resolved", "substatus": None, "statusDetails": {}, "inbox": None}
    assert {api.get(f"{ISSUES}{i}/").json()["status"] for i in ids} == {"resolved"}
    nothing = {"id": "1", "query": "is:unresolved level:warning"}  # no such issue, and a search finding none
    assert api.put(ISSUES, params=nothing, json={"status": "resolved"}).status_code == 204
    by_query = api.put(ISSUES, params={"query": "is:unresolved level:warning"}, json={"status": "resolved"})
    assert by_query.status_code == 204
    by_query = api.put(
        ISSUES, params={"query": "merge_totals", "project": sandbox.project_id("worker")}, json={"hasSeen": True}
    )
    assert by_query.json() == {"hasSeen": True}
    assert api.put(ISSUES, params={"id": ids}, json={"status": "zzz"}).status_code == 400


# -- events ---------------------------------------------------------------------------------------


def test_issue_events_are_paginated_newest_first(api: httpx.Client) -> None:
    response = api.get(f"{ISSUES}BACKEND-1/events/", params={"per_page": 10})
    first_page = response.json()
    assert len(first_page) == 10
    assert [e["dateCreated"] for e in first_page] == sorted((e["dateCreated"] for e in first_page), reverse=True)
    url, has_more, _cursor = links(response)["next"]
    assert has_more
    second = httpx.get(url, headers=api.headers).json()
    assert not {e["id"] for e in first_page} & {e["id"] for e in second}
    simple = first_page[0]
    assert {"key": "environment", "value": simple["tags"][0]["value"]} in simple["tags"] or simple["tags"]
    assert simple["event.type"] == "error" and simple["groupID"]
    full = api.get(f"{ISSUES}BACKEND-1/events/", params={"full": "true", "per_page": 2}).json()
    assert "entries" in full[0] and "nextEventID" not in full[0]


def test_issue_event_parameter_errors(api: httpx.Client) -> None:
    assert api.get(f"{ISSUES}BACKEND-1/events/", params={"per_page": 101}).json() == {
        "detail": "Invalid per_page value. Cannot exceed 100."
    }
    assert api.get(f"{ISSUES}BACKEND-1/events/", params={"per_page": 0}).status_code == 400
    assert api.get(f"{ISSUES}BACKEND-1/events/", params={"cursor": "1:2"}).status_code == 400


def test_issue_events_filters(api: httpx.Client) -> None:
    staging = api.get(f"{ISSUES}BACKEND-1/events/", params={"environment": "staging"}).json()
    assert staging and all({"key": "environment", "value": "staging"} in e["tags"] for e in staging)
    release = api.get(f"{ISSUES}BACKEND-1/events/", params={"query": "release:backend@1.0.0"}).json()
    assert release and all({"key": "release", "value": "backend@1.0.0"} in e["tags"] for e in release)
    assert api.get(f"{ISSUES}BACKEND-1/events/", params={"query": "no-such-text"}).json() == []
    recent = api.get(f"{ISSUES}BACKEND-6/events/", params={"statsPeriod": "24h"}).json()
    assert len(recent) >= 50


def test_event_detail_shapes_and_neighbours(api: httpx.Client) -> None:
    latest = api.get(f"{ISSUES}BACKEND-1/events/latest/").json()
    oldest = api.get(f"{ISSUES}BACKEND-1/events/oldest/").json()
    assert latest["nextEventID"] is None and oldest["previousEventID"] is None
    assert latest["dateCreated"] > oldest["dateCreated"]
    middle = api.get(f"{ISSUES}BACKEND-1/events/{latest['previousEventID']}/").json()
    assert middle["nextEventID"] == latest["id"]
    exception = next(e for e in latest["entries"] if e["type"] == "exception")
    frame = exception["data"]["values"][-1]["stacktrace"]["frames"][-1]
    assert frame["function"] == "parse_quantity" and frame["inApp"] and frame["absPath"].endswith("demo_app.py")
    assert any(line == frame["lineNo"] for line, _ in frame["context"])
    request = next(e for e in latest["entries"] if e["type"] == "request")["data"]
    assert request["method"] == "POST" and ["Host", "shop.example.com"] in request["headers"]
    crumbs = next(e for e in latest["entries"] if e["type"] == "breadcrumbs")["data"]["values"]
    assert crumbs[0]["timestamp"] <= latest["dateCreated"]
    assert latest["sdk"]["name"].startswith("sentry.python")
    assert latest["dateReceived"] >= latest["dateCreated"]
    assert {"key": "release", "value": latest["release"]["version"]} in latest["tags"]


def test_event_detail_404_bodies(api: httpx.Client) -> None:
    missing = api.get(f"{ISSUES}BACKEND-1/events/{'0' * 32}/")
    assert missing.status_code == 404 and missing.json()["detail"].startswith("Event not found.")
    other_issue_event = api.get(f"{ISSUES}BACKEND-2/events/latest/").json()["id"]
    assert api.get(f"{ISSUES}BACKEND-1/events/{other_issue_event}/").status_code == 404
    nothing = api.get(f"{ISSUES}BACKEND-1/events/latest/", params={"environment": "nowhere"})
    assert nothing.status_code == 404 and nothing.json()["detail"].startswith("No matching event found.")
    assert api.get(f"projects/sandbox/worker/events/{other_issue_event}/").status_code == 404


def test_project_event_detail(api: httpx.Client) -> None:
    latest = api.get(f"{ISSUES}WORKER-2/events/latest/").json()
    body = api.get(f"projects/sandbox/worker/events/{latest['id']}/").json()
    assert body["id"] == latest["id"] and body["nextEventID"] is None


# -- stats ---------------------------------------------------------------------------------------


def test_stats_v2_rounds_and_groups(api: httpx.Client, sandbox: SandboxServer) -> None:
    params = {
        "field": "sum(quantity)",
        "statsPeriod": "2d",
        "interval": "1d",
        "groupBy": "outcome",
        "category": "error",
    }
    body = api.get("organizations/sandbox/stats_v2/", params=params).json()
    assert body["start"].endswith("T00:00:00Z") and body["end"].endswith("T00:00:00Z")
    assert len(body["intervals"]) == 2
    for group in body["groups"]:
        assert sum(group["series"]["sum(quantity)"]) == group["totals"]["sum(quantity)"]
    by_project = api.get(
        "organizations/sandbox/stats_v2/",
        params={"field": "sum(times_seen)", "statsPeriod": "31d", "groupBy": "project", "outcome": "accepted"},
    ).json()
    assert "intervals" not in by_project and all("series" not in g for g in by_project["groups"])
    assert {g["by"]["project"] for g in by_project["groups"]} == {
        int(sandbox.project_id(s)) for s in ("backend", "worker")
    }
    worker_only = api.get(
        "organizations/sandbox/stats_v2/",
        params={
            "field": "sum(quantity)",
            "statsPeriod": "1d",
            "project": sandbox.project_id("worker"),
            "reason": "key_quota",
        },
    ).json()
    assert worker_only["groups"][0]["by"] == {} and worker_only["groups"][0]["totals"]["sum(quantity)"] >= 1
    window = api.get(
        "organizations/sandbox/stats_v2/",
        params={
            "field": "sum(quantity)",
            "start": "2020-01-01T00:00:00Z",
            "end": "2020-01-02T00:00:00Z",
            "interval": "6h",
        },
    ).json()
    assert len(window["intervals"]) == 4 and window["groups"][0]["totals"]["sum(quantity)"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"field": "count()"},
        {"field": "sum(quantity)", "groupBy": "color"},
        {"field": "sum(quantity)", "category": "pizza"},
        {"field": "sum(quantity)", "outcome": "lost"},
        {"field": "sum(quantity)", "interval": "2d"},
        {"field": "sum(quantity)", "interval": "5h"},
        {"field": "sum(quantity)", "interval": "often"},
        {"field": "sum(quantity)", "statsPeriod": "eons"},
        {"field": "sum(quantity)", "statsPeriod": "1d", "start": "2020-01-01T00:00:00Z"},
        {"field": "sum(quantity)", "start": "2020-01-02T00:00:00Z", "end": "2020-01-01T00:00:00Z"},
        {"field": "sum(quantity)", "statsPeriod": "3000d", "interval": "1h"},
    ],
)
def test_stats_v2_rejects_bad_parameters(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("organizations/sandbox/stats_v2/", params=params)
    assert response.status_code == 400 and "detail" in response.json()


def test_sessions_release_health(api: httpx.Client, sandbox: SandboxServer) -> None:
    params = {
        "field": ["sum(session)", "crash_free_rate(session)", "crash_free_rate(user)", "crash_rate(session)"],
        "statsPeriod": "24h",
        "project": sandbox.project_id("backend"),
    }
    (group,) = api.get("organizations/sandbox/sessions/", params=params).json()["groups"]
    totals = group["totals"]
    assert totals["sum(session)"] == 30
    assert totals["crash_free_rate(session)"] == pytest.approx(0.9)
    assert totals["crash_rate(session)"] == pytest.approx(0.1)
    assert 0 < totals["crash_free_rate(user)"] < 1
    by_status = api.get(
        "organizations/sandbox/sessions/",
        params={
            "field": ["sum(session)", "count_unique(user)"],
            "groupBy": ["session.status", "environment"],
            "interval": "1h",
        },
    ).json()
    counts = {g["by"]["session.status"]: g["totals"]["sum(session)"] for g in by_status["groups"]}
    assert counts["crashed"] == 3 and counts["healthy"] + counts["errored"] == 27
    no_series = api.get(
        "organizations/sandbox/sessions/",
        params={"field": "sum(session)", "includeSeries": "0", "query": "release:backend@1.2.0", "groupBy": "project"},
    ).json()
    assert no_series["intervals"] == [] and no_series["groups"][0]["totals"]["sum(session)"] == 30
    empty = api.get(
        "organizations/sandbox/sessions/", params={"field": "crash_free_rate(user)", "environment": "x"}
    ).json()
    assert empty["groups"][0]["totals"]["crash_free_rate(user)"] is None
    assert api.get("organizations/sandbox/sessions/").status_code == 400
    assert (
        api.get("organizations/sandbox/sessions/", params={"field": "sum(session)", "groupBy": "os"}).status_code == 400
    )


# -- controls ------------------------------------------------------------------------------------


def test_request_log_and_reset(api: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.clear_requests()
    api.get(ISSUES, params={"query": "is:resolved"})
    api.put(f"{ISSUES}BACKEND-1/", json={"status": "resolved"})
    log = sandbox.requests()
    assert log == [
        {
            "method": "GET",
            "path": "/api/0/organizations/sandbox/issues/",
            "query": "query=is%3Aresolved",
            "status": 200,
        },
        {"method": "PUT", "path": "/api/0/organizations/sandbox/issues/BACKEND-1/", "query": "", "status": 200},
    ]
    assert httpx.get(f"{sandbox.url}/_sandbox/requests").json() == log
    assert httpx.delete(f"{sandbox.url}/_sandbox/requests").status_code == 204
    assert sandbox.requests() == []
    assert api.get(f"{ISSUES}BACKEND-1/").json()["status"] == "resolved"
    assert httpx.post(f"{sandbox.url}/_sandbox/reset").json() == {"ok": True}
    assert api.get(f"{ISSUES}BACKEND-1/").json()["status"] == "unresolved"
    info = httpx.get(f"{sandbox.url}/_sandbox/info").json()
    assert {p["slug"]: p["dsn"] for p in info["projects"]} == {s: sandbox.dsn(s) for s in ("backend", "worker")}
