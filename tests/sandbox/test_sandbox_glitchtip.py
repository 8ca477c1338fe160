"""The glitchtip flavor answers as GlitchTip c264800f does (../shared/glitchtip/README.md), point by point."""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.glitchtip_events import received_at
from mcp_servers.sentry_sandbox.models import StoredEvent
from tests.conftest import SandboxPool
from tests.sandbox.conftest import clean_api
from tests.sandbox.sandbox_helpers import api_client

ISSUES = "organizations/sandbox/issues/"
PAGE = "<app-root></app-root>"


@pytest.fixture
def api(glitchtip: SandboxServer) -> Iterator[httpx.Client]:
    """A client with the full token; the seeded state is restored before and after the test."""
    with clean_api(glitchtip) as client:
        yield client


def _issue_id(glitchtip: SandboxServer, title_part: str) -> int:
    return next(i.id for i in glitchtip.store.issues() if title_part in i.latest.digest.title)


def _first_seen(issue_events: list[Any]) -> datetime:
    return min(received_at(e) for e in issue_events)


def _send(glitchtip: SandboxServer, what: str | dict[str, Any]) -> None:
    """An event through the store endpoint: `ValueError(what)`, or the payload fields `what`."""
    exception: dict[str, Any] = {"values": [{"type": "ValueError", "value": what, "stacktrace": {"frames": []}}]}
    event: dict[str, Any] = {"event_id": uuid.uuid4().hex, "level": "error", "platform": "python"}
    event.update(what if isinstance(what, dict) else {"exception": exception})
    key = glitchtip.dsn("backend").split("//", 1)[1].split("@", 1)[0]
    answer = httpx.post(
        f"{glitchtip.url}/api/{glitchtip.project_id('backend')}/store/",
        json=event,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
    )
    assert answer.status_code == 200


# -- 1. the web page's catch-all ------------------------------------------------------------------


def test_unrouted_issue_paths_answer_the_web_page(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue = glitchtip.store.issues()[0]
    event_id = issue.latest.event_id
    for path in (
        f"{ISSUES}{issue.id}/events/",
        f"{ISSUES}{issue.id}/events/latest/",
        f"{ISSUES}{issue.id}/events/{event_id}/",
        f"issues/{glitchtip.store.short_id(issue)}/",
        f"issues/{issue.id}",
        "projects/sandbox/backend/stats/",
    ):
        answer = httpx.get(f"{glitchtip.url}/api/0/{path}")  # no token: the page needs none
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == "text/html; charset=utf-8" and PAGE in answer.text, path
    refused = api.post(f"{ISSUES}{issue.id}/events/", json={})
    assert refused.status_code == 403 and "CSRF" in refused.text
    for path in (
        "organizations/sandbox/sessions/",
        f"organizations/sandbox/shortids/{glitchtip.store.short_id(issue)}/",
    ):
        missing = api.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html"), path
    moved = api.get("organizations/sandbox/stats_v2", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/api/0/organizations/sandbox/stats_v2/"


def test_without_the_web_page_the_catch_all_is_an_html_500() -> None:
    with SandboxServer(port=0, flavor="glitchtip-nofrontend") as bare:
        answer = httpx.get(f"{bare.url}/api/0/organizations/sandbox/issues/1/events/")
        assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/html")
        assert "Server Error (500)" in answer.text
        assert httpx.get(f"{bare.url}/api/0/organizations/sandbox/issues/1/", headers=_auth(bare)).status_code == 405


def _auth(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token}"}


# -- 2. issues by id ------------------------------------------------------------------------------


def test_issue_reads_only_by_the_unscoped_path(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue_id = glitchtip.store.issues()[0].id
    refused = api.get(f"{ISSUES}{issue_id}/")
    assert refused.status_code == 405 and refused.text == "Method not allowed"
    issue = api.get(f"issues/{issue_id}/").json()
    assert issue["id"] == str(issue_id) and issue["userReportCount"] == 0
    assert api.get("issues/999/").json() == {"detail": "Not Found"}


# -- 3. events of an issue --------------------------------------------------------------------------


def test_issue_events_page_by_limit_and_cursor_newest_received_first(
    glitchtip: SandboxServer, api: httpx.Client
) -> None:
    issue = max(glitchtip.store.issues(), key=lambda i: len(i.events))
    first = api.get(f"issues/{issue.id}/events/", params={"limit": 2, "per_page": 1})
    assert len(first.json()) == 2
    link = first.headers["link"]
    assert link.startswith("{'<") and link.endswith("'}") and 'rel="previous"; results="false"' in link
    cursor = link.rsplit('cursor="', 1)[1].split('"', 1)[0]
    assert base64.b64decode(cursor).decode().startswith("p=")
    second = api.get(f"issues/{issue.id}/events/", params={"limit": 2, "cursor": cursor}).json()
    ids = [e["event_id"] for e in first.json() + second]
    assert len(set(ids)) == 4
    received = [e["date_received"] for e in first.json() + second]
    assert received == sorted(received, reverse=True)
    assert {"event_id", "group_id", "project_id", "date_created", "date_received"} <= first.json()[0].keys()
    everything = api.get(f"issues/{issue.id}/events/", params={"per_page": 1}).json()
    assert len(everything) == min(50, len(issue.events))  # per_page is not GlitchTip's


def test_issue_event_by_uuid_latest_and_refused_words(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue = max(glitchtip.store.issues(), key=lambda i: len(i.events))
    latest = api.get(f"issues/{issue.id}/events/latest/").json()
    assert latest["nextEventID"] is None and latest["previousEventID"]
    assert {"eventID", "groupID", "dateReceived", "userReport", "entries"} <= latest.keys()
    previous = api.get(f"issues/{issue.id}/events/{latest['previousEventID']}/").json()
    assert previous["nextEventID"] == latest["eventID"]
    dashed = str(uuid.UUID(latest["eventID"]))
    assert api.get(f"issues/{issue.id}/events/{dashed}/").json()["eventID"] == latest["eventID"]
    for word in ("oldest", "recommended"):
        refused = api.get(f"issues/{issue.id}/events/{word}/")
        assert refused.status_code == 422
        (problem,) = refused.json()["detail"]
        assert problem["type"] == "uuid_parsing" and problem["loc"] == ["path", "event_id"]


# -- 4. issue lists ------------------------------------------------------------------------------


def _pages(api: httpx.Client, **params: Any) -> Iterator[httpx.Response]:
    """Every page of the issue list, following the `next` cursors."""
    query: dict[str, Any] = {"limit": 100, **params}
    for _ in range(100):
        page = api.get(ISSUES, params=query)
        assert page.status_code == 200, page.text
        yield page
        following = page.headers["link"].split('rel="next"', 1)[1]
        if 'results="true"' not in following:
            return
        query["cursor"] = following.split('cursor="', 1)[1].split('"', 1)[0]


def _ids(api: httpx.Client, **params: Any) -> set[str]:
    return {issue["id"] for page in _pages(api, **params) for issue in page.json()}


def _having(glitchtip: SandboxServer, test: Callable[[StoredEvent], Any]) -> set[str]:
    return {str(i.id) for i in glitchtip.store.issues() if any(test(e) for e in i.events)}


def test_issue_list_filters_as_glitchtip(glitchtip: SandboxServer, api: httpx.Client) -> None:
    store = glitchtip.store
    everything = {str(i.id) for i in store.issues()}
    assert _ids(api) == everything  # no query: every status
    assert _ids(api, project=-1) == set()
    assert _ids(api, project=glitchtip.project_id("worker")) == {
        str(i.id) for i in store.issues() if i.project_id == glitchtip.project_id("worker")
    }
    by_status = {status: _ids(api, query=f"is:{status}") for status in ("unresolved", "resolved", "ignored")}
    assert set().union(*by_status.values()) == everything and all(by_status.values())
    for nothing in ("is:regressed", "is:escalating", "is:new", "firstSeen:-24h", "level:bogus", "the"):
        assert _ids(api, query=nothing) == set(), nothing
    day_ago = datetime.now(UTC) - timedelta(hours=24)
    recent = {str(i.id) for i in store.issues() if _first_seen(i.events) >= day_ago}
    assert recent and _ids(api, start="now-24h") == recent
    assert _ids(api, end="now-24h") == everything - recent
    warnings = {str(i.id) for i in store.issues() if i.events[0].digest.level == "warning"}
    assert warnings and _ids(api, query="level:warning") == warnings
    assert _ids(api, query="has:user.email") == _having(glitchtip, lambda e: (e.payload.get("user") or {}).get("email"))
    pro = _having(glitchtip, lambda e: (e.payload.get("tags") or {}).get("customer.tier") == "pro")
    assert pro and _ids(api, query="customer.tier:pro") == pro
    inventory = str(_issue_id(glitchtip, "Inventory low"))
    assert _ids(api, query="inventory items") == {inventory}  # full text: stems and all words
    assert _ids(api, query="is:unresolved inventory") <= {inventory}
    assert _ids(api, query="inventory is:unresolved") == set()  # free text takes the rest of the query


def test_issue_list_sorts_both_ways_and_refuses_sentry_sorts(api: httpx.Client) -> None:
    ascending = [int(i["count"]) for i in api.get(ISSUES, params={"sort": "count", "limit": 100}).json()]
    descending = [int(i["count"]) for i in api.get(ISSUES, params={"sort": "-count", "limit": 100}).json()]
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    newest = [i["lastSeen"] for i in api.get(ISSUES, params={"limit": 100}).json()]
    assert newest == sorted(newest, reverse=True)
    refused = api.get(ISSUES, params={"sort": "date"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "sort"]
    assert api.get(ISSUES, params={"project": "backend"}).status_code == 422
    assert api.get(ISSUES, params={"query": '"unbalanced'}).status_code == 500


def test_issue_list_pages_by_cursor(glitchtip: SandboxServer, api: httpx.Client) -> None:
    pages = list(_pages(api, limit=7, sort="-first_seen"))
    seen = [issue["id"] for page in pages for issue in page.json()]
    assert len(seen) == len(set(seen)) == len(glitchtip.store.issues()) and len(pages[0].json()) == 7
    assert pages[-1].headers["x-max-hits"] == "1000" and int(pages[-1].headers["x-hits"]) == len(seen)
    assert len(api.get(ISSUES).json()) == 50  # the default page


def test_an_event_id_query_finds_its_issue(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue = glitchtip.store.issues()[0]
    event_id = str(uuid.UUID(issue.events[0].event_id))
    answer = api.get(ISSUES, params={"query": event_id})
    assert answer.headers["x-sentry-direct-hit"] == "1"
    assert [(i["id"], i["matchingEventId"]) for i in answer.json()] == [(str(issue.id), issue.events[0].event_id)]


# -- 5. counts and tags ---------------------------------------------------------------------------


def test_counts_have_no_users_nor_series_and_tags_give_the_distributions(
    glitchtip: SandboxServer, api: httpx.Client
) -> None:
    issue_id = _issue_id(glitchtip, "invalid literal")
    issue = api.get(f"issues/{issue_id}/").json()
    assert issue["userCount"] == 0 and issue["stats"] == {"24h": []} and "assignedTo" not in issue
    tags = {tag["key"]: tag for tag in api.get(f"issues/{issue_id}/tags/").json()}
    assert {"environment", "release", "user.id", "user.email", "user.username", "browser", "browser.name"} <= set(tags)
    assert {"os.name", "customer.tier", "region", "server_name"} <= set(tags) and "user" not in tags
    events = glitchtip.store.issue(issue_id).events  # type: ignore[union-attr]
    environments = Counter(e.environment for e in events)
    assert {v["value"]: v["count"] for v in tags["environment"]["topValues"]} == environments
    assert tags["environment"]["totalValues"] == len(events) == int(issue["count"])
    assert tags["environment"]["uniqueValues"] == len(environments)
    assert tags["browser"]["topValues"][0]["value"] == "Firefox 128.0"
    assert set(tags["user.email"]["topValues"][0]) == {"name", "value", "count", "key"}
    assert [t["key"] for t in api.get(f"issues/{issue_id}/tags/", params={"key": "release"}).json()] == ["release"]


# -- 6. statistics --------------------------------------------------------------------------------


def _accepted_per_hour(glitchtip: SandboxServer) -> Counter[datetime]:
    counts: Counter[datetime] = Counter()
    for outcome in glitchtip.store.outcomes():
        if outcome.outcome == "accepted":
            counts[outcome.timestamp.replace(minute=0, second=0, microsecond=0)] += 1
    return counts


def test_stats_need_start_and_end_and_count_only_the_first_hour_of_a_day(
    glitchtip: SandboxServer, api: httpx.Client
) -> None:
    base = {"field": "sum(quantity)", "category": "error"}
    refused = api.get("organizations/sandbox/stats_v2/", params={**base, "statsPeriod": "24h", "groupBy": "outcome"})
    assert refused.status_code == 422
    assert [item["loc"] for item in refused.json()["detail"]] == [["query", "start"], ["query", "end"]]
    hourly = _accepted_per_hour(glitchtip)
    end = max(hourly)
    start = end - timedelta(days=3)
    window = {"start": start.isoformat(), "end": end.isoformat(), "statsPeriod": "24h", "groupBy": "outcome"}
    hours = api.get("organizations/sandbox/stats_v2/", params={**base, **window, "interval": "1h"}).json()
    assert set(hours) == {"intervals", "groups"}
    assert (
        hours["intervals"][0] == start.isoformat() and hours["intervals"][-1] == (end + timedelta(hours=1)).isoformat()
    )
    series = hours["groups"][0]["series"]["sum(quantity)"]
    expected = [hourly.get(start + timedelta(hours=n)) or None for n in range(len(series))]
    assert series == expected and None in series
    days = api.get("organizations/sandbox/stats_v2/", params={**base, **window, "interval": "1d"}).json()
    daily = days["groups"][0]["series"]["sum(quantity)"]
    assert daily == [hourly.get(start + timedelta(days=n)) or None for n in range(len(daily))]
    assert sum(v or 0 for v in daily) < sum(v or 0 for v in series)
    assert api.get("organizations/sandbox/stats_v2/", params={**base, **window, "project": -1}).status_code == 404


# -- 7. writes ------------------------------------------------------------------------------------


def test_writes_set_the_status_only(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue_id = _issue_id(glitchtip, "invalid literal")
    body = {"status": "ignored", "statusDetails": {"ignoreCount": 5}, "substatus": "archived_until_escalating"}
    ignored = api.put(f"issues/{issue_id}/", json={**body, "assignedTo": "me"}).json()
    assert ignored["status"] == "ignored" and ignored["status_details"] == {} and "statusDetails" not in ignored
    assert "assignedTo" not in ignored and ignored["shortId"]
    _send(glitchtip, "no reopening for ignored issues")
    new_id = _issue_id(glitchtip, "no reopening")
    assert api.put(f"{ISSUES}{new_id}/", json={"status": "ignored"}).json()["status"] == "ignored"
    for _ in range(12):  # more than Sentry's escalation threshold
        _send(glitchtip, "no reopening for ignored issues")
    assert api.get(f"issues/{new_id}/").json()["status"] == "ignored"
    api.put(f"issues/{new_id}/", json={"status": "resolved", "statusDetails": {"inNextRelease": True}})
    _send(glitchtip, "no reopening for ignored issues")
    assert api.get(f"issues/{new_id}/").json()["status"] == "unresolved"
    refused = api.put(f"issues/{issue_id}/", json={"status": "resolvedInNextRelease"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "payload", "status"]
    assert api.put(f"issues/{issue_id}/", json={"assignedTo": "me"}).status_code == 500


def test_bulk_writes_answer_the_payload(glitchtip: SandboxServer, api: httpx.Client) -> None:
    ids = [i.id for i in glitchtip.store.issues()[:2]]
    answer = api.put(ISSUES, params={"id": ids}, json={"status": "resolved", "statusDetails": {"inRelease": "latest"}})
    assert answer.json() == {"status": "resolved", "merge": None}
    assert {glitchtip.store.issue(i).status for i in ids} == {"resolved"}  # type: ignore[union-attr]
    assert api.put(ISSUES, params={"id": 999}, json={"status": "unresolved"}).json() == {
        "status": "unresolved",
        "merge": None,
    }


def test_comments_are_kept_and_counted(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue_id = glitchtip.store.issues()[0].id
    posted = api.post(f"issues/{issue_id}/comments/", json={"data": {"text": "looking into it"}})
    assert posted.status_code == 201
    comment = posted.json()
    assert comment["data"] == {"text": "looking into it"} and comment["type"] == "note"
    assert set(comment) == {"data", "type", "dateCreated", "user", "id"} and set(comment["user"]) == {"id", "email"}
    assert api.get(f"issues/{issue_id}/comments/").json() == [comment]
    assert api.get(f"issues/{issue_id}/").json()["numComments"] == 1
    assert api.post(f"issues/{issue_id}/comments/", json={"text": "x"}).status_code == 422
    assert api.post("issues/999/comments/", json={"data": {"text": "x"}}).json() == {"detail": "Issue does not exist"}


# -- 8. discovery ---------------------------------------------------------------------------------


def test_api_root_names_the_token_and_settings_the_version(glitchtip: SandboxServer) -> None:
    root = httpx.get(f"{glitchtip.url}/api/0/", headers=_auth(glitchtip)).json()
    assert root["version"] == "0" and root["user"]["email"]
    assert root["auth"]["token"] == glitchtip.token
    assert set(root["auth"]["scopes"]) == {"org:read", "project:read", "event:read", "event:write", "member:read"}
    assert httpx.get(f"{glitchtip.url}/api/0/").json() == {"version": "0", "user": None, "auth": None}
    settings = httpx.get(f"{glitchtip.url}/api/settings/")
    assert settings.status_code == 200 and settings.json()["version"]
    assert {"socialApps", "serverTimeZone", "enableUserRegistration"} <= settings.json().keys()


# -- 9. message events ------------------------------------------------------------------------------


def test_message_events_carry_their_text(glitchtip: SandboxServer, api: httpx.Client) -> None:
    issue_id = _issue_id(glitchtip, "Inventory low")
    event = api.get(f"issues/{issue_id}/events/latest/").json()
    text = "Inventory low for SKU sku-17: 3 items left"
    assert event["type"] == "default" and event["message"] == text and event["title"] == text
    assert event["metadata"] == {"title": text}
    kinds = [entry["type"] for entry in event["entries"]]
    assert "exception" not in kinds and {"type": "message", "data": {"formatted": text}} in event["entries"]
    listed = api.get(f"issues/{issue_id}/events/", params={"limit": 1}).json()[0]
    assert listed["message"] == text and listed["event_id"] == event["eventID"]


def test_a_logged_message_keeps_its_logentry(glitchtip: SandboxServer, api: httpx.Client) -> None:
    template, text = "nightly export failed for %s", "nightly export failed for invoices"
    logentry = {"message": template, "params": ["invoices"], "formatted": text}
    _send(glitchtip, {"level": "error", "logger": "shop.export", "logentry": logentry})
    issue_id = _issue_id(glitchtip, "nightly export failed")
    issue = api.get(f"issues/{issue_id}/").json()
    assert (issue["title"], issue["type"], issue["metadata"], issue["culprit"]) == (text, "default", {}, "")
    event = api.get(f"issues/{issue_id}/events/latest/").json()
    assert event["message"] == text and event["metadata"] == {"title": text}
    assert event["entries"] == [
        {"type": "message", "data": {"params": ["invoices"], "message": template, "formatted": text}}
    ]


def test_the_other_flavors_keep_their_routes(sandbox_pool: SandboxPool) -> None:
    sentry = sandbox_pool.get("sentry")
    with api_client(sentry) as api:
        issue_id = sentry.store.issues()[0].id
        assert api.get(f"{ISSUES}{issue_id}/").status_code == 200
        assert api.get("issues/999/tags/").status_code == 404
