"""One budget per result, over real stdio: every list-returning tool at its largest limit stays within it, cut
at an item boundary, still valid, with a warning that says how much was left out and a cursor that resumes at
the first item left out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from mcp_servers.sentry_monitor.src.shared.results import records
from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.bulk import add_issues
from mcp_servers.sentry_sandbox.models import Project
from mcp_servers.sentry_sandbox.times import utcnow
from tests.e2e.raw_server import RawServer

BUDGET = 24_000
BUSY_EVENTS = 260
CUT = re.compile(r"(\d+) of (\d+) ([a-z ]+) left out \(~([\d,]+) tokens\) to stay within the ([\d,]+)-character")


@pytest.fixture(scope="module")
def big_sentry() -> Iterator[SandboxServer]:
    """A local Sentry big enough to hit the budget: 400 issues, one with 260 events, and 320 projects."""
    with SandboxServer(port=0) as server:
        (busy,) = add_issues(server.store, 1, events_per_issue=BUSY_EVENTS)
        add_issues(server.store, 399, events_per_issue=1)
        template = server.store.projects[0]
        created = utcnow() - timedelta(days=30)
        for number in range(320):
            server.store.projects.append(
                Project(
                    id=str(1000 + number),
                    slug=f"service-{number:03d}-with-a-longer-name",
                    name=f"Service {number:03d} with a longer name",
                    platform="python",
                    public_key=f"{number:032x}",
                    date_created=created,
                )
            )
        server.busy_issue = busy  # type: ignore[attr-defined]
        assert template.slug == "backend"
        yield server


def env_for(sentry: SandboxServer) -> dict[str, str]:
    return {"SENTRY_AUTH_TOKEN": sentry.token, "SENTRY_URL": sentry.url, "SENTRY_ORG": sentry.org_slug}


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def all_ids(sentry: SandboxServer, path: str, params: dict[str, Any], key: str) -> list[str]:
    """Every row's id of a list, in order, read straight from the local Sentry, 100 a page."""
    ids: list[str] = []
    cursor = None
    with httpx.Client(base_url=f"{sentry.url}/api/0/", headers={"Authorization": f"Bearer {sentry.token}"}) as api:
        while True:
            page = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
            page.raise_for_status()
            ids += [str(row[key]) for row in page.json()]
            found = re.search(r'cursor="([^"]+)"[^,]*$', page.headers["Link"])
            if 'rel="next"; results="true"' not in page.headers["Link"] or not found:
                return ids
            cursor = found.group(1)


def check_within_budget(result: dict[str, Any], schema: dict[str, Any], budget: int = BUDGET) -> dict[str, Any]:
    text = "".join(block["text"] for block in result["content"])
    structured = result["structuredContent"]
    assert len(text) <= budget and len(compact(structured)) <= budget, (len(text), len(compact(structured)))
    jsonschema.validate(structured, schema)  # the cut result still validates
    return dict(structured)


def the_cut(structured: dict[str, Any], budget: int = BUDGET) -> tuple[int, int, str]:
    found = [m for w in structured["warnings"] if (m := CUT.search(w))]
    assert found, structured["warnings"]
    left, total, what, tokens, said_budget = found[0].groups()
    assert int(tokens.replace(",", "")) > 0 and said_budget == f"{budget:,}"
    return int(left), int(total), what


@contextmanager
def serving(sentry: SandboxServer, folder: Path, budget: int = BUDGET, *flags: str) -> Iterator[RawServer]:
    env = {**env_for(sentry), "SENTRY_MONITOR_MAX_RESULT_CHARS": str(budget)}
    with RawServer(env, *flags, stderr_path=folder / "err.log") as raw:
        raw.initialize()
        raw.schemas = {  # type: ignore[attr-defined]
            tool["name"]: tool.get("outputSchema") for tool in raw.ask("tools/list")["result"]["tools"]
        }
        yield raw


@pytest.fixture(scope="module")
def server(big_sentry: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    with serving(big_sentry, tmp_path_factory.mktemp("budget")) as raw:
        yield raw


@pytest.mark.parametrize(
    ("tool", "arguments", "budget"),
    [
        ("get-recent-issues", {"project_slug": "backend", "limit": 250}, BUDGET),
        ("search-issues", {"query": "is:unresolved", "limit": 100}, BUDGET),  # 100 issues fit 24,000
        ("search-issues", {"query": "is:unresolved", "limit": 100}, 9_000),
    ],
)
def test_an_issue_list_over_the_budget_is_cut_and_resumes_at_the_first_left_out(
    big_sentry: SandboxServer, tmp_path: Path, tool: str, arguments: dict[str, Any], budget: int
) -> None:
    listed = all_ids(big_sentry, "organizations/sandbox/issues/", {"query": "is:unresolved", "limit": 100}, "id")
    with serving(big_sentry, tmp_path, budget) as server:
        result = server.call(tool, arguments)["result"]
        structured = check_within_budget(result, server.schemas[tool], budget)  # type: ignore[attr-defined]
        kept = [row["id"] for row in records(structured["data"]["issues"])]
        assert kept == listed[: len(kept)]  # nothing skipped inside
        if len(kept) == arguments["limit"]:
            assert not any("left out" in warning for warning in structured["warnings"])
            return
        left, total, what = the_cut(structured, budget)
        assert what == "issues" and total == arguments["limit"] and len(kept) + left == total
        cursor = structured["data"]["next_cursor"]
        assert f"cursor='{cursor}'" in " ".join(structured["warnings"])
        resumed = server.call(tool, {**arguments, "limit": 5, "cursor": cursor})["result"]["structuredContent"]
        assert [row["id"] for row in records(resumed["data"]["issues"])] == listed[len(kept) : len(kept) + 5]


def test_the_events_of_a_busy_issue_are_cut_and_resume_at_the_first_left_out(
    big_sentry: SandboxServer, server: RawServer
) -> None:
    issue = str(big_sentry.busy_issue)  # type: ignore[attr-defined]
    listed = all_ids(big_sentry, f"organizations/sandbox/issues/{issue}/events/", {"per_page": 100}, "eventID")
    assert len(listed) == BUSY_EVENTS
    result = server.call("get-error-events", {"issue_id": issue, "limit": 250})["result"]
    structured = check_within_budget(result, server.schemas["get-error-events"])  # type: ignore[attr-defined]
    left, total, _ = the_cut(structured)
    kept = [row["event_id"] for row in records(structured["data"]["events"])]
    assert total == 250 and len(kept) + left == 250 and kept == listed[: len(kept)]
    cursor = structured["data"]["next_cursor"]
    resumed = server.call("get-error-events", {"issue_id": issue, "limit": 3, "cursor": cursor})["result"]
    assert [row["event_id"] for row in records(resumed["structuredContent"]["data"]["events"])] == listed[
        len(kept) : len(kept) + 3
    ]


def test_a_long_project_list_is_cut_with_a_way_to_the_rest(server: RawServer) -> None:
    result = server.call("list-projects", {})["result"]
    structured = check_within_budget(result, server.schemas["list-projects"])  # type: ignore[attr-defined]
    text = "".join(block["text"] for block in result["content"])
    left, total, what = the_cut(structured)
    assert what == "projects" and total == 322 and left > 0
    assert "query" in " ".join(structured["warnings"])  # how to see them: a narrower call
    assert len(structured["data"]["projects"]) + left == total and f"{left} of {total} projects left out" in text


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("analyze-error-patterns", {"project_slug": "backend", "period": "30d", "top": 50}),
        ("get-project-health", {"project_slug": "backend", "period": "30d"}),
        ("get-issue-details", {"issue_id": "BACKEND-1"}),
        ("get-project-stats", {"project_slug": "backend", "period": "30d"}),
    ],
)
def test_every_other_tool_stays_within_the_budget_at_its_largest(
    server: RawServer, tool: str, arguments: dict[str, Any]
) -> None:
    result = server.call(tool, arguments, timeout=60)["result"]
    assert not result["isError"], result["content"]
    check_within_budget(result, server.schemas[tool])  # type: ignore[attr-defined]


def test_a_small_budget_cuts_the_demo_results_and_the_text_says_so_truthfully(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    budget = 2_000  # the smallest SENTRY_MONITOR_MAX_RESULT_CHARS takes
    for flags in ((), ("--result-format", "text")):
        with serving(sandbox, tmp_path, budget, *flags) as raw:
            result = raw.call("search-issues", {"query": "is:unresolved", "limit": 25})["result"]
            text = "".join(block["text"] for block in result["content"])
            assert len(text) <= budget and "left out" in text and "structured" not in text, text
            if flags:  # text-only: the text alone is measured, and nothing structured is sent
                assert "structuredContent" not in result and raw.schemas["get-recent-issues"] is None  # type: ignore[attr-defined]
            else:
                assert len(compact(result["structuredContent"])) <= budget
