"""resolve-issue, ignore-issue and unresolve-issue: the status GlitchTip keeps afterwards, and what is listed.

Each test puts the issue back to unresolved through GlitchTip's API, so every test (in both web-page modes)
sees the events as they were stored.
"""

from __future__ import annotations

import pytest

from .expected import issue_id
from .glitchtip import GlitchTipApi
from .tools import Tools

pytestmark = pytest.mark.anyio


async def listed(tools: Tools, api: GlitchTipApi, status: str) -> list[str]:
    answer = (await tools.call("get-recent-issues", project_slug=api.project, status=status)).ok()
    return [row["id"] for row in answer.rows("issues")]


async def test_resolve_then_unresolve(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    number = issue_id(api, "checkout")
    answer = (await tools.call("resolve-issue", issue_id=number)).ok()
    assert api.issue(number)["status"] == answer.data["issue"]["status"] == "resolved"
    assert answer.structured["side_effects"][0]["before"]["status"] == "unresolved"
    assert await listed(tools, api, "resolved") == [row["id"] for row in api.issues(query="is:resolved")] == [number]
    assert number not in await listed(tools, api, "unresolved")

    answer = (await tools.call("unresolve-issue", issue_id=number)).ok()
    assert api.issue(number)["status"] == answer.data["issue"]["status"] == "unresolved"
    assert await listed(tools, api, "resolved") == []


async def test_resolve_in_next_release_is_refused_before_any_write(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    number = issue_id(api, "export")
    answer = await tools.call("resolve-issue", issue_id=number, in_next_release=True)
    assert answer.is_error and answer.error_code == "UNSUPPORTED_BY_SERVER", str(answer)  # GlitchTip keeps no condition
    assert api.issue(number)["status"] == "unresolved" and "nothing was sent" in answer.text


async def test_ignore_then_unresolve(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    number = issue_id(api, "basket")
    answer = (await tools.call("ignore-issue", issue_id=number)).ok()
    assert api.issue(number)["status"] == answer.data["issue"]["status"] == "ignored"
    assert await listed(tools, api, "ignored") == [row["id"] for row in api.issues(query="is:ignored")] == [number]

    answer = (await tools.call("unresolve-issue", issue_id=number)).ok()
    assert api.issue(number)["status"] == answer.data["issue"]["status"] == "unresolved"
    assert answer.structured["side_effects"][0]["before"]["status"] == "ignored"


async def test_ignore_for_a_duration_is_refused_before_any_write(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    number = issue_id(api, "gateway")
    answer = await tools.call("ignore-issue", issue_id=number, duration_minutes=60)
    assert answer.is_error and answer.error_code == "UNSUPPORTED_BY_SERVER", str(answer)
    assert api.issue(number)["status"] == "unresolved" and "Field: duration_minutes" in answer.text


async def test_ignore_until_escalating_promises_no_reopening(tools: Tools, restored: GlitchTipApi) -> None:
    api = restored
    number = issue_id(api, "disk")
    answer = await tools.call("ignore-issue", issue_id=number, until_escalating=True)
    assert answer.is_error and answer.error_code == "UNSUPPORTED_BY_SERVER", str(answer)  # never reopened there
    assert api.issue(number)["status"] == "unresolved"
    forever = (await tools.call("ignore-issue", issue_id=number)).ok()
    promises = [text for text in [*forever.recommendations, forever.text] if "reopens" in text and "escalating" in text]
    assert promises == [] and any("never reopens an ignored issue" in step for step in forever.recommendations)
