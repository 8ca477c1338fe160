"""Triage beyond a status: notes, tag distributions and bulk status changes on a real GlitchTip, and what it has
not (assignees) refused before any request writes.

Each test leaves GlitchTip as it found it: notes deleted, statuses back to unresolved.
"""

from __future__ import annotations

import pytest

from .expected import issue_id, issues_by_key
from .glitchtip import GlitchTipApi
from .tools import Tools

pytestmark = pytest.mark.anyio


async def test_a_note_is_added_once_and_shown_with_the_issue(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    number = issue_id(api, "checkout")
    text = "Checked with the payments team: the retry loop is the cause."
    answer = (await tools.call("add-issue-note", issue_id=number, text=text)).ok()
    comments = api.comments(number)
    assert [comment["data"]["text"] for comment in comments] == [text]  # exactly once
    assert str(comments[0]["id"]) == str(answer.data["note_id"])
    assert answer.structured["side_effects"][0]["kind"] == "issue_note_added"

    details = (await tools.call("get-issue-details", issue_id=number)).ok()
    assert text in details.text
    assert any(text in note for note in details.data["issue"]["notes"])


async def test_tag_distributions_are_glitchtips_own(tools: Tools, api: GlitchTipApi) -> None:
    number = issue_id(api, "quantity")
    expected = api.tags(number)
    answer = (await tools.call("get-issue-tags", issue_id=number, keys=["release", "environment"])).ok()
    releases = expected["release"]
    total = sum(releases.values())
    assert total == 5 and releases == {"shop@1.0.0": 3, "shop@1.1.0": 2}
    spread = {row["key"]: row for row in answer.rows("tags")}
    assert set(spread) == {"release", "environment"}
    assert spread["release"]["total"] == total
    assert spread["release"]["top"] == ["shop@1.0.0 60% (3)", "shop@1.1.0 40% (2)"]
    assert "- release (5 events, 2 values): shop@1.0.0 60% (3), shop@1.1.0 40% (2)" in answer.text
    environments = expected["environment"]
    assert spread["environment"]["total"] == sum(environments.values())


async def test_bulk_status_dry_run_then_real_run(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    issues = issues_by_key(api)
    numbers = [str(issues["basket"]["id"]), str(issues["gateway"]["id"])]

    dry = (await tools.call("update-issues", issue_ids=numbers, status="resolved")).ok()
    assert [api.issue(number)["status"] for number in numbers] == ["unresolved", "unresolved"]  # nothing written
    assert all(number in dry.text for number in numbers)

    done = (await tools.call("update-issues", issue_ids=numbers, status="resolved", dry_run=False)).ok()
    assert [api.issue(number)["status"] for number in numbers] == ["resolved", "resolved"]
    named = [issues[key].get("shortId") or str(issues[key]["id"]) for key in ("basket", "gateway")]
    assert sorted(effect["target"] for effect in done.structured["side_effects"]) == sorted(
        f"issue:{name}" for name in named
    )
    untouched = [str(row["id"]) for row in api.issues()]
    assert len(untouched) == len(issues) - 2 and not set(numbers) & set(untouched)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("assign-issue", {"assignee": "me"}),
        ("update-issues", {"assignee": "me", "dry_run": False}),
        ("list-assignees", {}),
    ],
)
async def test_assignees_are_refused_before_any_write(
    tools: Tools, api: GlitchTipApi, tool: str, arguments: dict[str, object]
) -> None:
    number = issue_id(api, "disk")
    targets: dict[str, dict[str, object]] = {
        "list-assignees": {"project_slug": api.project},
        "assign-issue": {"issue_id": number},
        "update-issues": {"issue_ids": [number]},
    }
    target = targets[tool]
    answer = await tools.call(tool, **target, **arguments)
    assert answer.is_error and answer.error_code == "UNSUPPORTED_BY_SERVER", str(answer)
    assert api.issue(number)["status"] == "unresolved"
