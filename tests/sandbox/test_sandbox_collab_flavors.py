"""Notes, assignment, bulk mutate and tags where the flavors differ: GlitchTip's comments and status-only
updates (apps/issue_events/api/comments.py, issues.py of backend c264800f), and an older Sentry's names."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.conftest import clean_api
from tests.sandbox.sandbox_helpers import api_client

ISSUES = "organizations/sandbox/issues/"
PAGE = "<app-root></app-root>"
ADMIN = ["org:read", "project:read", "event:read", "event:write", "event:admin"]


@pytest.fixture
def gt_api(glitchtip: SandboxServer) -> Iterator[httpx.Client]:
    with clean_api(glitchtip) as client:
        yield client


@pytest.fixture
def legacy_api(legacy: SandboxServer) -> Iterator[httpx.Client]:
    with clean_api(legacy) as client:
        yield client


def _first_issue(glitchtip: SandboxServer) -> int:
    return min(issue.id for issue in glitchtip.store.issues())


# -- GlitchTip ------------------------------------------------------------------------------------


def test_glitchtip_comments_are_written_by_the_tokens_user(glitchtip: SandboxServer, gt_api: httpx.Client) -> None:
    issue_id = _first_issue(glitchtip)
    with api_client(glitchtip, glitchtip.token_for("ana@example.com")) as ana:
        posted = ana.post(f"issues/{issue_id}/comments/", json={"data": {"text": "mine"}})
    assert posted.status_code == 201
    assert posted.json()["user"] == {"id": "2", "email": "ana@example.com"}
    with api_client(glitchtip, glitchtip.token_for(None)) as integration:
        anonymous = integration.post(f"issues/{issue_id}/comments/", json={"data": {"text": "bot"}}).json()
    assert anonymous["user"] is None


def test_glitchtip_comments_are_edited_and_deleted_by_any_member(
    glitchtip: SandboxServer, gt_api: httpx.Client
) -> None:
    issue_id = _first_issue(glitchtip)
    comment = gt_api.post(f"issues/{issue_id}/comments/", json={"data": {"text": "draft"}}).json()
    path = f"issues/{issue_id}/comments/{comment['id']}/"
    with api_client(glitchtip, glitchtip.token_for("ana", scopes=ADMIN)) as ana:
        edited = ana.put(path, json={"data": {"text": "final"}})
        assert edited.status_code == 200 and edited.json()["data"] == {"text": "final"}
        assert ana.put(path, json={"text": "x"}).status_code == 422
    assert gt_api.delete(path).status_code == 403  # deleting needs event:admin
    with api_client(glitchtip, glitchtip.token_for("ana", scopes=ADMIN)) as ana:
        assert ana.delete(path).status_code == 204
        gone = ana.delete(path)
    assert (gone.status_code, gone.json()) == (400, {"detail": "Comment does not exist"})
    assert gt_api.get(f"issues/{issue_id}/comments/").json() == []


def test_glitchtip_has_no_assignees(glitchtip: SandboxServer, gt_api: httpx.Client) -> None:
    issue_id = _first_issue(glitchtip)
    ignored = gt_api.put(f"issues/{issue_id}/", json={"status": "resolved", "assignedTo": "user:2"})
    assert ignored.status_code == 200 and "assignedTo" not in ignored.json()  # `UpdateIssueSchema` drops it
    alone = gt_api.put(f"issues/{issue_id}/", json={"assignedTo": "user:2"})
    assert alone.status_code == 500 and alone.headers["content-type"].startswith("text/html")  # no status to set
    bulk = gt_api.put(ISSUES, params={"id": issue_id}, json={"assignedTo": "user:2"})
    assert bulk.json() == {"status": None, "merge": None}  # nothing changed
    status = gt_api.put(ISSUES, params={"id": issue_id}, json={"status": "ignored", "assignedTo": "user:2"})
    assert status.json() == {"status": "ignored", "merge": None}
    assert gt_api.get(f"issues/{issue_id}/").json()["status"] == "ignored"


def test_glitchtip_serves_none_of_sentrys_notes_members_teams_or_org_tag_routes(
    glitchtip: SandboxServer, gt_api: httpx.Client
) -> None:
    issue_id = _first_issue(glitchtip)
    for path in (
        f"{ISSUES}{issue_id}/notes/",
        f"issues/{issue_id}/notes/",
        f"{ISSUES}{issue_id}/tags/",
        f"{ISSUES}{issue_id}/tags/level/",
        "organizations/sandbox/members/",
        "organizations/sandbox/teams/",
        "projects/sandbox/backend/teams/",
        "projects/sandbox/backend/members/",
    ):
        answer = gt_api.get(path)  # the web page's catch-all, or Django's 404 page: never JSON
        assert answer.headers["content-type"].startswith("text/html"), path
        assert (answer.status_code, PAGE in answer.text) in ((200, True), (404, False)), path
    tags = gt_api.get(f"issues/{issue_id}/tags/").json()
    assert tags and {"topValues", "uniqueValues", "key", "name", "totalValues"} == set(tags[0])


# -- an older Sentry ------------------------------------------------------------------------------


def test_legacy_serves_assignment_notes_and_tags_as_sentry(legacy: SandboxServer, legacy_api: httpx.Client) -> None:
    assigned = legacy_api.put(f"{ISSUES}BACKEND-1/", json={"assignedTo": "ben@example.com"})
    assert assigned.json()["assignedTo"]["email"] == "ben@example.com"
    assert legacy_api.post(f"{ISSUES}BACKEND-1/notes/", json={"text": "hi"}).status_code == 201
    assert legacy_api.get(f"{ISSUES}BACKEND-1/tags/level/").json()["key"] == "level"
    worker_members = legacy_api.get("projects/sandbox/worker/members/").json()
    assert [m["email"] for m in worker_members] == ["ana@example.com", "chloe@example.com", "sandbox@example.com"]
    ids = [legacy_api.get(f"{ISSUES}{s}/").json()["id"] for s in ("BACKEND-1", "BACKEND-2")]
    body = {"status": "ignored", "substatus": "until_escalating"}
    delta = legacy_api.put(ISSUES, params={"id": ids}, json=body).json()
    assert (delta["status"], delta["substatus"]) == ("ignored", "until_escalating")
    listed = legacy_api.get(ISSUES, params={"group": ids}).json()
    assert {i["substatus"] for i in listed} == {"until_escalating"}
    root = httpx.get(f"{legacy.url}/api/0/", headers={"Authorization": f"Bearer {legacy.token}"}).json()
    assert root["user"]["id"] == "1"
