"""Issue notes (comments) and issue tags of the local Sentry."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.sandbox_helpers import api_client, assert_matches_spec, links, response_schema

ORG_SPEC = "/api/0/organizations/{organization_id_or_slug}"
ISSUES = "organizations/sandbox/issues/"
NOTES = f"{ISSUES}BACKEND-1/notes/"


def _note_keys(note: dict[str, Any]) -> set[str]:
    return set(note)


# -- notes ----------------------------------------------------------------------------------------


def test_a_note_is_an_activity_item_of_type_note(api: httpx.Client) -> None:
    posted = api.post(NOTES, json={"text": "Looking into it  "})
    assert posted.status_code == 201
    note = posted.json()
    assert _note_keys(note) == {"id", "user", "type", "data", "dateCreated"}
    assert (note["type"], note["data"], note["user"]["email"]) == (
        "note",
        {"text": "Looking into it"},
        "sandbox@example.com",
    )
    detail = api.get(f"{ISSUES}BACKEND-1/").json()
    assert detail["activity"][0] == note and detail["numComments"] == 1
    assert detail["activity"][-1]["type"] == "first_seen"
    assert_matches_spec(detail, response_schema(f"{ORG_SPEC}/issues/{{issue_id}}/"))
    listed = {i["shortId"]: i["numComments"] for i in api.get(ISSUES, params={"query": ""}).json()}
    assert listed["BACKEND-1"] == 1 and listed["BACKEND-2"] == 0


def test_notes_list_newest_first_and_page(api: httpx.Client) -> None:
    for text in ("first", "second", "third"):
        assert api.post(NOTES, json={"text": text}).status_code == 201
    notes = api.get(NOTES)
    assert [n["data"]["text"] for n in notes.json()] == ["third", "second", "first"]
    page = api.get(NOTES, params={"per_page": 2})
    assert [n["data"]["text"] for n in page.json()] == ["third", "second"]
    assert links(page)["next"][1] is True


def test_notes_by_the_older_route_and_by_short_id(api: httpx.Client) -> None:
    issue_id = api.get(f"{ISSUES}BACKEND-1/").json()["id"]
    assert api.post(f"issues/{issue_id}/notes/", json={"text": "legacy"}).status_code == 201
    assert [n["data"]["text"] for n in api.get(f"{ISSUES}{issue_id}/notes/").json()] == ["legacy"]
    assert api.get("issues/BACKEND-1/notes/").status_code == 404  # the older route takes numeric ids only


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"text": ["This field is required."]}),
        ({"text": "   "}, {"text": ["This field may not be blank."]}),
        ({"text": None}, {"text": ["This field may not be null."]}),
        ({"text": ["x"]}, {"text": ["Not a valid string."]}),
        ({"text": "hi", "mentions": ["user:3", "user:4"]}, {"mentions": ["Cannot mention a non team member"]}),
        ({"text": "hi", "mentions": ["team:2"]}, {"mentions": ["Mentioned team not found"]}),
    ],
)
def test_refused_notes_are_400(api: httpx.Client, body: dict[str, Any], expected: dict[str, Any]) -> None:
    response = api.post(NOTES, json=body)
    assert (response.status_code, response.json()) == (400, expected)
    assert api.get(NOTES).json() == []


def test_the_same_note_twice_within_an_hour_is_refused(api: httpx.Client) -> None:
    assert api.post(NOTES, json={"text": "same", "mentions": ["user:3"]}).json()["data"] == {"text": "same"}
    again = api.post(NOTES, json={"text": "same", "mentions": ["user:3"]})
    assert (again.status_code, again.json()) == (400, {"detail": "You have already posted that comment."})


def test_only_a_user_writes_notes(api: httpx.Client, sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for(None)) as integration:
        refused = integration.post(NOTES, json={"text": "bot"})
        assert (refused.status_code, refused.json()) == (403, {"detail": "Key doesn't have permission to create Note"})
        assert integration.get(NOTES).status_code == 200
    with api_client(sandbox, sandbox.read_only_token) as read_only:
        assert read_only.post(NOTES, json={"text": "x"}).status_code == 403


def test_edit_and_delete_only_ones_own_note(api: httpx.Client, sandbox: SandboxServer) -> None:
    admin_scopes = ["org:read", "project:read", "event:read", "event:write", "event:admin"]
    with api_client(sandbox, sandbox.token_for("ben@example.com", scopes=admin_scopes)) as ben:
        note = ben.post(NOTES, json={"text": "ben's"}).json()
        edited = ben.put(f"{NOTES}{note['id']}/", json={"text": "ben's, edited"})
        assert edited.status_code == 200 and edited.json()["data"] == {"text": "ben's, edited"}
    others = api.put(f"{NOTES}{note['id']}/", json={"text": "not mine"})
    assert (others.status_code, others.json()) == (404, {"detail": "The requested resource does not exist"})
    no_admin = api.delete(f"{NOTES}{note['id']}/")
    assert no_admin.status_code == 403  # deleting needs event:admin
    with api_client(sandbox, sandbox.token_for("sandbox@example.com", scopes=admin_scopes)) as owner:
        assert owner.delete(f"{NOTES}{note['id']}/").status_code == 404  # not the owner's note
        assert owner.delete(f"{NOTES}x/").status_code == 404
    with api_client(sandbox, sandbox.token_for("ben@example.com", scopes=admin_scopes)) as ben:
        assert ben.delete(f"{NOTES}{note['id']}/").status_code == 204
        assert ben.delete(f"{NOTES}{note['id']}/").status_code == 404
    assert api.get(NOTES).json() == []
    later = api.post(NOTES, json={"text": "after"}).json()
    assert later["id"] != note["id"]  # a deleted note's id is never given again


def test_notes_of_an_issue_a_user_cannot_read_are_403(sandbox: SandboxServer) -> None:
    with api_client(sandbox, sandbox.token_for("ben@example.com")) as ben:
        assert ben.get(f"{ISSUES}WORKER-1/notes/").status_code == 403
        assert ben.post(f"{ISSUES}WORKER-1/notes/", json={"text": "x"}).status_code == 403


# -- tags -----------------------------------------------------------------------------------------


def _events_of(sandbox: SandboxServer, short_id: str) -> list[Any]:
    issue = sandbox.store.issue_by_short_id(short_id)
    assert issue is not None
    return issue.events


def test_issue_tags_count_the_stored_events(api: httpx.Client, sandbox: SandboxServer) -> None:
    response = api.get(f"{ISSUES}BACKEND-1/tags/")
    assert response.status_code == 200
    tags = {t["key"]: t for t in response.json()}
    events = _events_of(sandbox, "BACKEND-1")
    for key in ("environment", "release", "user", "url", "customer.tier", "level"):
        values = [v for e in events for k, v in e.tags if k == key]
        tag = tags[key]
        assert (tag["totalValues"], tag["uniqueValues"]) == (len(values), len(set(values))), key
        assert sum(v["count"] for v in tag["topValues"]) <= tag["totalValues"]
        assert len(tag["topValues"]) == min(10, len(set(values)))
        counts = [v["count"] for v in tag["topValues"]]
        assert counts == sorted(counts, reverse=True)
    assert tags["url"]["name"] == "URL" and tags["customer.tier"]["name"] == "Customer Tier"
    release = tags["release"]["topValues"][0]
    assert release["name"] == release["value"].split("@")[1]  # the short version
    user = tags["user"]["topValues"][0]
    assert user["value"].startswith("id:") and user["query"] == f'user.id:"{user["name"]}"'


def test_issue_tag_details_in_spec_shape(api: httpx.Client, sandbox: SandboxServer) -> None:
    response = api.get(f"{ISSUES}BACKEND-1/tags/environment/")
    assert response.status_code == 200
    detail = response.json()
    assert_matches_spec(detail, response_schema(f"{ORG_SPEC}/issues/{{issue_id}}/tags/{{key}}/"))
    production = sum(1 for e in _events_of(sandbox, "BACKEND-1") if e.environment == "production")
    shares = {v["value"]: round(100 * v["count"] / detail["totalValues"]) for v in detail["topValues"]}
    assert shares["production"] == round(100 * production / detail["totalValues"])  # Sentry's UI percentage
    assert (detail["key"], detail["name"], detail["uniqueValues"]) == ("environment", "Environment", 2)
    only_staging = api.get(f"{ISSUES}BACKEND-1/tags/environment/", params={"environment": "staging"}).json()
    assert [v["value"] for v in only_staging["topValues"]] == ["staging"]
    for path in (f"{ISSUES}BACKEND-1/tags/nope/", f"{ISSUES}BACKEND-1/tags/level/?environment=moon"):
        assert api.get(path).status_code == 404, path


def test_issue_tags_key_limit_and_older_route(api: httpx.Client) -> None:
    keys = api.get(f"{ISSUES}BACKEND-1/tags/", params={"key": ["user", "release"]}).json()
    assert [t["key"] for t in keys] == ["release", "user"]
    assert len(keys[1]["topValues"]) == 9
    assert len(api.get(f"{ISSUES}BACKEND-1/tags/", params={"key": "user", "limit": 2}).json()[0]["topValues"]) == 2
    issue_id = api.get(f"{ISSUES}BACKEND-1/").json()["id"]
    assert api.get(f"issues/{issue_id}/tags/").json() == api.get(f"{ISSUES}BACKEND-1/tags/").json()
    assert api.get(f"issues/{issue_id}/tags/level/").json()["key"] == "level"
    recent = api.get(f"{ISSUES}BACKEND-1/tags/", params={"statsPeriod": "1h"}).json()
    assert sum(t["totalValues"] for t in recent) <= sum(
        t["totalValues"] for t in api.get(f"{ISSUES}BACKEND-1/tags/").json()
    )


def test_browser_os_and_device_tags_come_from_contexts(api: httpx.Client, sandbox: SandboxServer) -> None:
    key = sandbox.dsn("backend").split("//", 1)[1].split("@", 1)[0]
    contexts = {
        "browser": {"name": "Firefox", "version": "128.0"},
        "os": {"name": "Linux", "version": "6.8"},
        "device": {"model": "ThinkPad X1", "family": "ThinkPad"},
    }
    event = {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "javascript",
        "message": "tagged from contexts",
        "contexts": contexts,
        "tags": {"feature": "checkout"},
    }
    answer = httpx.post(
        f"{sandbox.url}/api/{sandbox.project_id('backend')}/store/",
        json=event,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
    )
    assert answer.status_code == 200
    issue = next(i for i in api.get(ISSUES, params={"query": "tagged from contexts"}).json())
    tags = {t["key"]: t["topValues"][0]["value"] for t in api.get(f"{ISSUES}{issue['id']}/tags/").json()}
    assert tags["browser"] == "Firefox 128.0" and tags["browser.name"] == "Firefox"
    assert tags["os"] == "Linux 6.8" and tags["os.name"] == "Linux"
    assert tags["device"] == "ThinkPad X1" and tags["device.family"] == "ThinkPad"
    assert tags["feature"] == "checkout"
    assert api.get(f"{ISSUES}{issue['id']}/tags/os/").json()["name"] == "OS"


def test_malformed_note_bodies_are_400(api: httpx.Client) -> None:
    listed = api.post(NOTES, json=["text"])
    expected = {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    assert (listed.status_code, listed.json()) == (400, expected)
    mentions = api.post(NOTES, json={"text": "hi", "mentions": "user:3"})
    assert mentions.json() == {"mentions": ['Expected a list of items but got type "str".']}
