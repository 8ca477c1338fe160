"""analyze-error-patterns names an issue whose events sit in one tag value, on a local Sentry seeded for it.

Each flavor's local Sentry is started empty and sent plain events (the legacy store endpoint): in project backend,
issue A has 19 of its 20 events in release backend@1.3.0 and issue B splits 10/10 between two releases; in project
worker, no issue leans to a value. Every event is in environment production, which tells nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.operations.analyze_error_patterns import REQUEST_CAP, ErrorPatterns
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_sandbox import SandboxServer
from tests.conftest import sandbox_settings

pytestmark = pytest.mark.anyio
PLAN = {
    "backend": {
        "issue-a": ["backend@1.3.0"] * 19 + ["backend@1.2.0"],
        "issue-b": ["backend@1.3.0", "backend@1.2.0"] * 10,
    },
    "worker": {"issue-c": ["worker@2.0.0", "worker@2.1.0"] * 10, "issue-d": ["worker@2.1.0", "worker@2.0.0"] * 6},
}


def send(sandbox: SandboxServer, slug: str, fingerprint: str, release: str) -> None:
    key = sandbox.dsn(slug).split("//", 1)[1].split("@", 1)[0]
    event = {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "python",
        "message": f"{fingerprint} failed",
        "fingerprint": [fingerprint],
        "release": release,
        "environment": "production",
        "tags": {"url": f"https://shop.example.com/{fingerprint}"},
    }
    answer = httpx.post(
        f"{sandbox.url}/api/{sandbox.project_id(slug)}/store/",
        json=event,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module", params=["sentry", "glitchtip"])
def planted(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    with SandboxServer(port=0, flavor=str(request.param)) as sandbox:
        for slug, issues in PLAN.items():
            for fingerprint, releases in issues.items():
                for release in releases:
                    send(sandbox, slug, fingerprint, release)
        yield sandbox


async def analyze(sandbox: SandboxServer, slug: str) -> tuple[ModuleOutput, ErrorPatterns, dict[str, str]]:
    async with SentryErrorMonitorModule(sandbox_settings(sandbox)) as module:
        output = await module.execute(
            ModuleInput(operation="analyze-error-patterns", parameters={"project_slug": slug})
        )
    assert output.ok and output.data is not None, output.error
    result = ErrorPatterns.model_validate(output.data)
    titles = {issue.id: issue.title for issue in result.issues}
    return output, result, titles


async def test_an_issue_with_most_events_in_one_release_is_named(planted: SandboxServer) -> None:
    planted.clear_requests()
    output, result, titles = await analyze(planted, "backend")
    tagged = [finding for finding in result.findings if finding.kind == "tag_concentration"]
    assert len(tagged) == 1, result.findings
    (finding,) = tagged
    assert titles[finding.issue_ids[0]] == "issue-a failed"
    evidence: dict[str, Any] = finding.evidence
    assert (evidence["key"], evidence["value"], evidence["share"], evidence["events"], evidence["tagged"]) == (
        "release",
        "backend@1.3.0",
        0.95,
        19,
        20,
    )
    assert (
        finding.summary.startswith("95% of ") and "'s events are in release backend@1.3.0 (19 of 20)" in finding.summary
    )
    assert output.metadata.api_calls <= REQUEST_CAP
    assert any("get-issue-tags(issue_id=" in step for step in output.recommendations)


async def test_no_concentration_is_named_where_no_issue_leans_to_a_value(planted: SandboxServer) -> None:
    output, result, _ = await analyze(planted, "worker")
    assert result.coverage.analysed == 2
    assert [f for f in result.findings if f.kind == "tag_concentration"] == []
    assert output.metadata.api_calls <= REQUEST_CAP
