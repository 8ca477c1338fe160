"""`--check` against the local Sentry: what it reports, what it never does, and its exit code."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor.src.check import run_check
from mcp_servers.sentry_monitor.src.sentry import capabilities
from tests.conftest import REPO, SandboxPool, coverage_env

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio


def environ(sandbox: SandboxServer, token: str | None = None, **extra: str) -> dict[str, str]:
    return {"SENTRY_URL": sandbox.url, "SENTRY_AUTH_TOKEN": token or sandbox.token, **extra}


async def test_ready_configuration_reads_scopes_without_writing(clean_sandbox: SandboxServer) -> None:
    report = await run_check(environ(clean_sandbox), {})
    text = report.text()
    assert report.failures == 0 and text.endswith("Result: ready.")
    assert "organization: sandbox" in text and "scopes present: org:read project:read event:read event:write" in text
    assert {r["method"] for r in clean_sandbox.requests()} == {"GET"}
    assert clean_sandbox.token not in text


async def test_missing_write_scope_is_reported_with_the_tools_it_breaks(clean_sandbox: SandboxServer) -> None:
    report = await run_check(environ(clean_sandbox, clean_sandbox.read_only_token), {})
    assert report.failures == 1
    assert (
        "FAIL scope event:write missing: add-issue-note, assign-issue, ignore-issue, resolve-issue, unresolve-issue, "
        "update-issues will answer MISSING_SCOPE" in report.text()
    )
    read_only = await run_check(environ(clean_sandbox, clean_sandbox.read_only_token), {"read_only": "true"})
    assert read_only.failures == 0 and "read-only mode" in read_only.text()


async def test_allowed_projects_are_each_checked(clean_sandbox: SandboxServer) -> None:
    report = await run_check(environ(clean_sandbox, SENTRY_MONITOR_ALLOWED_PROJECTS="backend,nope"), {})
    assert report.failures == 1 and "project 'nope' does not exist" in report.text()
    assert "project backend: readable" in report.text()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"SENTRY_ORG": "wrong-org"}, "ORGANIZATION_NOT_FOUND"),
        (
            {"SENTRY_AUTH_TOKEN": "sntryu_" + "1" * 64},
            "AUTH_FAILED: Sentry rejected the auth token (401): it is invalid",
        ),
        ({"SENTRY_MONITOR_TIMEOUT": "soon"}, "configuration: SENTRY_MONITOR_TIMEOUT must be a number"),
    ],
)
async def test_each_problem_fails_with_its_fix(
    clean_sandbox: SandboxServer, extra: dict[str, str], expected: str
) -> None:
    report = await run_check(environ(clean_sandbox) | extra, {})
    assert report.failures == 1 and expected in report.text() and "Fix:" in report.text()
    assert "1" * 64 not in report.text()


async def test_unreachable_sentry_fails() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = await run_check(
        {"SENTRY_URL": f"http://127.0.0.1:{port}", "SENTRY_AUTH_TOKEN": "t" * 20, "SENTRY_MONITOR_RETRY_ATTEMPTS": "0"},
        {},
    )
    assert report.failures == 1 and "NETWORK_ERROR" in report.text()


def test_check_flag_exits_0_when_ready_and_1_otherwise(sandbox: SandboxServer) -> None:
    command = [sys.executable, "-m", "mcp_servers.sentry_monitor", "--check"]
    env = {"PYTHONPATH": str(REPO), **coverage_env(), **environ(sandbox)}
    ready = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert ready.returncode == 0 and "Result: ready." in ready.stdout, ready.stderr
    env["SENTRY_AUTH_TOKEN"] = sandbox.read_only_token
    broken = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1 and "event:write missing" in broken.stdout
    assert sandbox.read_only_token not in broken.stdout + broken.stderr


@pytest.mark.parametrize(
    ("flavor", "current"),
    [("sentry", True), ("glitchtip", False), ("sentry-legacy", True)],
)
async def test_the_check_reports_which_form_of_each_route_the_server_answers(
    sandbox_pool: SandboxPool, flavor: str, current: bool
) -> None:
    sandbox = sandbox_pool.get(flavor)
    capabilities.forget_server(f"{sandbox.url}/api/0/")
    sandbox.clear_requests()
    try:
        report = await run_check(environ(sandbox), {})
    finally:
        capabilities.forget_server(f"{sandbox.url}/api/0/")
    lines = [line for line in report.text().splitlines() if " capability " in f" {line}"]
    write_only = "note capability archive substatus names: learned at the first archive (not probed: it takes a write)"
    assert write_only in lines
    lines.remove(write_only)
    assert len(lines) == 5 and report.failures == 0
    assert all(line.startswith("ok  " if current else "note") for line in lines), lines
    if not current:
        assert "note capability issue lookup: older form, GET issues/{id}/ (numeric ids only, no short ids)" in lines
        assert any("accepted events only" in line for line in lines)
    assert {r["method"] for r in sandbox.requests()} == {"GET"}
