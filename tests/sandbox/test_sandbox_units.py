"""Small pieces: short-id encoding, envelope framing, time helpers, server lifecycle and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxError, SandboxServer
from mcp_servers.sentry_sandbox.__main__ import describe
from mcp_servers.sentry_sandbox.envelope import EnvelopeError, decode_body, parse_envelope
from mcp_servers.sentry_sandbox.grouping import digest_event, event_tags
from mcp_servers.sentry_sandbox.models import base32_decode, base32_encode
from mcp_servers.sentry_sandbox.pagination import CursorError, parse_cursor
from mcp_servers.sentry_sandbox.times import ceil_to, iso, parse_datetime, parse_period


@pytest.mark.parametrize(
    ("number", "text"), [(1, "1"), (9, "9"), (10, "A"), (31, "Z"), (32, "10"), (33, "11"), (1024, "100")]
)
def test_short_id_counter_uses_sentry_base32(number: int, text: str) -> None:
    assert base32_encode(number) == text
    assert base32_decode(text.lower()) == number


def test_base32_decode_rejects_foreign_characters() -> None:
    assert base32_decode("") is None
    assert base32_decode("U") is None
    assert base32_decode("o") == 0


def test_envelope_framing() -> None:
    parsed = parse_envelope(b'{"event_id":"e"}\n{"type":"event","length":2}\n{}\n{"type":"attachment"}\nabc')
    assert parsed.headers == {"event_id": "e"}
    assert [(i.type, i.payload) for i in parsed.items] == [("event", b"{}"), ("attachment", b"abc")]
    assert parse_envelope(b"{}").items == []
    for broken in (
        b"[1]\n",
        b"{x\n",
        b'{}\n{"type":"event","length":99}\n{}',
        b'{}\n{"type":"event","length":"2"}\n{}',
    ):
        with pytest.raises(EnvelopeError):
            parse_envelope(broken)


def test_decode_body_encodings() -> None:
    import zlib

    assert decode_body(b"abc", None) == b"abc"
    assert decode_body(b"abc", "identity") == b"abc"
    assert decode_body(zlib.compress(b"abc"), "deflate") == b"abc"
    with pytest.raises(EnvelopeError):
        decode_body(b"abc", "zstd")
    with pytest.raises(EnvelopeError):
        decode_body(b"abc", "br")


def test_cursor_parsing() -> None:
    assert str(parse_cursor("0:100:0")) == "0:100:0"
    assert parse_cursor(None).offset == 0
    assert parse_cursor("1744480800.5:0:1").is_prev
    for bad in ("x:0:0", "0:-1:0", "0:0:2", "0:0"):
        with pytest.raises(CursorError):
            parse_cursor(bad)


def test_time_helpers() -> None:
    moment = datetime(2025, 4, 12, 11, 34, 11, tzinfo=UTC)
    assert iso(moment) == "2025-04-12T11:34:11Z"
    assert iso(moment.replace(microsecond=403000)) == "2025-04-12T11:34:11.403000Z"
    assert parse_datetime("2025-04-12T11:34:11Z") == moment
    assert parse_datetime("2025-04-12T11:34:11") == moment
    assert parse_datetime(str(moment.timestamp())) == moment
    assert parse_datetime(moment.timestamp()) == moment
    assert parse_datetime("") is None and parse_datetime("yesterday") is None and parse_datetime(None) is None
    assert parse_period("14d") == timedelta(days=14) and parse_period("90") == timedelta(seconds=90)
    assert parse_period("1y") is None
    assert ceil_to(moment, 3600) == datetime(2025, 4, 12, 12, tzinfo=UTC)


def test_digest_of_unusual_events() -> None:
    logentry = digest_event(
        {"logentry": {"formatted": "from logging"}, "level": "warn", "tags": [["a", "b"], ["c", None]]}
    )
    assert (logentry.title, logentry.level, logentry.event_type) == ("from logging", "warning", "default")
    assert ("a", "b") in event_tags({"tags": [["a", "b"], ["c", None]]}, logentry)
    bare = digest_event({"exception": [{"type": "Boom", "value": ""}], "level": "nonsense"})
    assert (bare.title, bare.culprit, bare.level, bare.location) == ("Boom", "", "error", None)
    system = digest_event(
        {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"module": "lib", "function": "f"}]}}]}}
    )
    assert system.culprit == "lib in f" and system.metadata["in_app_frame_mix"] == "system-only"
    assert digest_event({"message": {"formatted": "x" * 500}}).title.endswith("...")
    assert digest_event({}).title == "<unlabeled event>"


def test_server_lifecycle_errors() -> None:
    with SandboxServer() as sandbox:
        assert sandbox.start() is sandbox
        with pytest.raises(KeyError):
            sandbox.project_id("nope")
        with pytest.raises(KeyError):
            sandbox.dsn("nope")
        with pytest.raises(SandboxError, match="cannot bind"):
            SandboxServer(port=sandbox.port).start()
    assert sandbox.requests() == sandbox.requests()
    with pytest.raises(SandboxError, match="start the sandbox"):
        SandboxServer().seed()


def test_describe_prints_a_claude_desktop_entry() -> None:
    with SandboxServer() as sandbox:
        text = describe(sandbox)
    entry = json.loads(text[text.index("{") : text.rindex("}") + 1])["mcpServers"]["sentry-error-monitor"]
    assert entry["args"] == ["-m", "mcp_servers.sentry_monitor"]
    assert entry["env"] == {"SENTRY_AUTH_TOKEN": sandbox.token, "SENTRY_URL": sandbox.url, "SENTRY_ORG": "sandbox"}
    assert sandbox.read_only_token in text and sandbox.dsn("worker") in text


def test_cli_serves_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_servers.sentry_sandbox", "--port", "0", "--no-seed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_sandbox/info").json()["organization"] == "sandbox"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Sandbox stopped." in out and "Traceback" not in err


def test_cli_reports_a_busy_port() -> None:
    with SandboxServer() as sandbox:
        done = subprocess.run(
            [sys.executable, "-m", "mcp_servers.sentry_sandbox", "--port", str(sandbox.port), "--no-seed"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1 and "cannot bind" in done.stderr


def test_seed_script_needs_dsns() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcp_servers.sentry_sandbox.seed", "--dsn", "backend=http://k@127.0.0.1:1/1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0 and "need --url" in done.stderr


def test_stop_leaves_no_thread_behind() -> None:
    import threading

    with SandboxServer() as sandbox:
        name = f"sentry-sandbox-{sandbox.port}"
        with httpx.Client() as client:
            assert client.get(f"{sandbox.url}/_sandbox/info").status_code == 200
        assert any(t.name == name for t in threading.enumerate())
    assert not any(t.name == name for t in threading.enumerate())
    sandbox.stop()
