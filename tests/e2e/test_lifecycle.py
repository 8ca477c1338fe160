"""How the stdio server starts and ends: never calling Sentry to start, ending promptly, reporting writes."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from tests.e2e.raw_server import RawServer

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

# A write gets a 0.5 s grace and a Sentry request waits up to the 30 s timeout: ending within 5 s shows the
# process did not wait for Sentry, with room for a loaded CI machine (1.12 s was seen there with a 1 s bound).
EXIT_WITHIN_S = 5.0


@pytest.fixture
def silent_sentry() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: a hung Sentry."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in accepted:
        connection.close()


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def env_for(url: str, token: str = "sntryu_" + "a" * 40) -> dict[str, str]:
    return {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "sandbox"}


def test_startup_and_tools_list_never_call_sentry(clean_sandbox: SandboxServer, tmp_path: Path) -> None:
    for url in (clean_sandbox.url, dead_url()):
        with RawServer(env_for(url, clean_sandbox.token), stderr_path=tmp_path / "err.log") as server:
            assert server.initialize()["result"]["serverInfo"]["name"] == "sentry-error-monitor"
            assert len(server.ask("tools/list")["result"]["tools"]) == len(OPERATIONS)
            server.close_stdin()
            assert server.wait()[0] == 0
    assert clean_sandbox.requests() == []


def test_closing_stdin_ends_the_server_within_a_second(tmp_path: Path) -> None:
    with RawServer(env_for(dead_url()), stderr_path=tmp_path / "err.log") as server:
        server.initialize()
        server.close_stdin()
        code, waited = server.wait()
        assert code == 0 and waited < EXIT_WITHIN_S, waited
        assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_ends_the_server_within_a_second(tmp_path: Path, signum: signal.Signals) -> None:
    with RawServer(env_for(dead_url()), "--log-level", "INFO", stderr_path=tmp_path / "err.log") as server:
        server.initialize()
        server.process.send_signal(signum)
        code, waited = server.wait()
        assert code == 0 and waited < EXIT_WITHIN_S, waited
        assert "Traceback" not in server.stderr() and f"received {signum.name}: stopping" in server.stderr()


def test_a_read_in_flight_does_not_hold_up_sigterm(tmp_path: Path, silent_sentry: str) -> None:
    with RawServer(env_for(silent_sentry), stderr_path=tmp_path / "err.log") as server:
        server.initialize()
        server.request("tools/call", {"name": "get-recent-issues", "arguments": {"project_slug": "backend"}})
        threading.Event().wait(0.3)  # the call is now waiting on the silent Sentry
        server.process.send_signal(signal.SIGTERM)
        code, waited = server.wait()
        assert code == 0 and waited < EXIT_WITHIN_S and "Traceback" not in server.stderr()


def test_a_write_cut_off_at_shutdown_is_reported_not_left_unknown(tmp_path: Path, silent_sentry: str) -> None:
    with RawServer(env_for(silent_sentry), stderr_path=tmp_path / "err.log") as server:
        server.initialize()
        server.request("tools/call", {"name": "resolve-issue", "arguments": {"issue_id": "BACKEND-1"}})
        threading.Event().wait(0.3)
        server.process.send_signal(signal.SIGTERM)
        code, waited = server.wait()
        assert code == 0 and waited < EXIT_WITHIN_S, waited
        stderr = server.stderr()
        assert "resolve-issue(issue_id='BACKEND-1') was cut off at shutdown" in stderr
        assert "may or may not have reached Sentry" in stderr and "Traceback" not in stderr


def test_read_only_flag_hides_the_write_tool(sandbox: SandboxServer, tmp_path: Path) -> None:
    with RawServer(env_for(sandbox.url, sandbox.token), "--read-only", stderr_path=tmp_path / "err.log") as server:
        server.initialize()
        names = {tool["name"] for tool in server.ask("tools/list")["result"]["tools"]}
        assert names == {name for name, operation in OPERATIONS.items() if operation.read_only}
        assert {"resolve-issue", "ignore-issue", "unresolve-issue", "add-issue-note"}.isdisjoint(names)
        refused = server.call("resolve-issue", {"issue_id": "BACKEND-1"})["result"]
        assert refused["isError"] and refused["structuredContent"]["error"]["code"] == "READ_ONLY"
        note = server.call("add-issue-note", {"issue_id": "BACKEND-1", "text": "x"})["result"]
        assert note["isError"] and note["structuredContent"]["error"]["code"] == "READ_ONLY"


def test_a_write_in_flight_at_sigterm_completes_and_is_logged(clean_sandbox: SandboxServer, tmp_path: Path) -> None:
    clean_sandbox.add_fault("slow", r"/issues/\d+/$", method="PUT", delay=0.3)
    env = env_for(clean_sandbox.url, clean_sandbox.token)
    with RawServer(env, stderr_path=tmp_path / "err.log") as server:
        server.initialize()
        server.request("tools/call", {"name": "resolve-issue", "arguments": {"issue_id": "BACKEND-3"}})
        deadline = time.monotonic() + 10
        while not clean_sandbox.fault_hits()[0]["hits"] and time.monotonic() < deadline:
            time.sleep(0.01)  # until the PUT has reached Sentry and is being answered slowly
        server.process.send_signal(signal.SIGTERM)
        code, waited = server.wait()
        assert code == 0 and waited < EXIT_WITHIN_S, waited
        assert "resolve-issue(issue_id='BACKEND-3') completed during shutdown." in server.stderr()
    resolved = [r for r in clean_sandbox.requests() if r["method"] == "PUT" and r["status"] == 200]
    assert len(resolved) == 1
