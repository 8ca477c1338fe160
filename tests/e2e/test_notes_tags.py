"""add-issue-note, the notes in get-issue-details, and get-issue-tags: over real stdio, in every flavor."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mcp import ClientSession

from tests.conftest import account_for_changes, issue_states
from tests.e2e.test_stdio import call, open_session, server_env, text_of

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio


@pytest.fixture
async def flavored_session(flavored_sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[ClientSession]:
    sandbox = flavored_sandbox
    before = issue_states(sandbox)
    sandbox.clear_requests()
    try:
        async for opened in open_session(server_env(sandbox), tmp_path / "stderr.log"):
            yield opened
    finally:
        account_for_changes(sandbox, before)
        sandbox.reset()


def busiest(sandbox: SandboxServer) -> str:
    return str(max(sandbox.store.issues(), key=lambda issue: len(issue.events)).id)


def posts(sandbox: SandboxServer) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["method"] == "POST"]


async def test_notes_are_added_once_each_and_details_show_the_last_three_cut(
    flavored_session: ClientSession, flavored_sandbox: SandboxServer
) -> None:
    sandbox, session = flavored_sandbox, flavored_session
    issue_id = busiest(sandbox)
    texts = ["first: pool size 20", "second:\n\nworkers 89", "third " + "y" * 600, "fourth, newest"]
    added = []
    for note in texts:
        result = await call(session, "add-issue-note", {"issue_id": issue_id, "text": note})
        assert not result.is_error and result.structured_content is not None, text_of(result)
        added.append(result.structured_content)
    note_path = "/comments/" if sandbox.flavor == "glitchtip" else "/notes/"
    assert len(posts(sandbox)) == 4 and all(path.endswith(f"/{issue_id}{note_path}") for path in posts(sandbox))
    first = added[0]
    assert first["data"]["issue_id"] == issue_id and first["data"]["note_id"]
    (effect,) = first["side_effects"]
    assert effect["kind"] == "issue_note_added" and effect["after"] == {
        "note_id": first["data"]["note_id"],
        "text": texts[0],
    }
    assert len(added[2]["side_effects"][0]["after"]["text"]) == 200  # cut in the record
    assert any("delete" in step and first["data"]["note_id"] in step for step in first["recommendations"])
    assert len({result["data"]["note_id"] for result in added}) == 4

    details = await call(session, "get-issue-details", {"issue_id": issue_id})
    assert not details.is_error and details.structured_content is not None
    notes = details.structured_content["data"]["issue"]["notes"]
    assert len(notes) == 3
    assert notes[0].endswith(": fourth, newest") and notes[1].count("y") == 300 - len("third ") - 1
    assert notes[1].endswith("…") and notes[2].endswith(": second: workers 89")
    assert "sandbox@example.com" in notes[0] or "Sandbox User" in notes[0]
    text = text_of(details)
    assert "notes, newest first:" in text and "fourth, newest" in text and "first: pool" not in text


async def test_details_of_an_issue_without_notes_have_no_notes_field(
    flavored_session: ClientSession, flavored_sandbox: SandboxServer
) -> None:
    details = await call(flavored_session, "get-issue-details", {"issue_id": busiest(flavored_sandbox)})
    assert details.structured_content is not None and "notes" not in details.structured_content["data"]["issue"]
    assert "notes, newest first" not in text_of(details)


async def test_issue_tags_match_the_stored_events(
    flavored_session: ClientSession, flavored_sandbox: SandboxServer
) -> None:
    sandbox, session = flavored_sandbox, flavored_session
    issue_id = busiest(sandbox)
    stored = sandbox.store.issue(int(issue_id))
    assert stored is not None
    result = await call(session, "get-issue-tags", {"issue_id": issue_id, "keys": ["environment", "release"]})
    assert not result.is_error and result.structured_content is not None, text_of(result)
    tags = {tag["key"]: tag for tag in result.structured_content["data"]["tags"]}
    assert set(tags) == {"environment", "release"}
    for key, tag in tags.items():
        counts = Counter(value for event in stored.events for k, value in event.tags if k == key)
        total = sum(counts.values())
        assert (tag["total"], tag["unique"]) == (total, len(counts))
        expected = [
            f"{value} {round(100 * n / total)}% ({n})"
            for value, n in sorted(counts.items(), key=lambda item: -item[1])[:5]
        ]
        assert sorted(tag["top"]) == sorted(expected), key
    text = text_of(result)
    assert text.startswith(f"Tags of {issue_id}, most frequent values first:\n- environment (")
    assert f"- release ({tags['release']['total']} events" in text
    top_one = await call(session, "get-issue-tags", {"issue_id": issue_id, "top": 1})
    assert top_one.structured_content is not None
    every = top_one.structured_content["data"]["tags"]
    assert len(every) > 2 and all(len(tag["top"]) == 1 for tag in every)
    assert all(tag["key"] for tag in every)
    missing = await call(session, "get-issue-tags", {"issue_id": issue_id, "keys": ["environment", "no.such.key"]})
    assert missing.structured_content is not None
    assert missing.structured_content["data"]["missing"] == ["no.such.key"]
    assert [tag["key"] for tag in missing.structured_content["data"]["tags"]] == ["environment"]
    assert len([r for r in sandbox.requests() if "/tags/" in r["path"]]) == 3  # one request a call
