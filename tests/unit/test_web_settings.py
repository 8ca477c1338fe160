"""The team server's settings, its API keys and its refusals to start: each bad value named, no secret shown."""

from __future__ import annotations

import io

import pytest

from mcp_servers.sentry_monitor.__main__ import main
from mcp_servers.sentry_monitor.src.base.errors import InvalidConfiguration
from mcp_servers.sentry_monitor.src.web.keys import ApiKeyVerifier, digest_of, hash_key_command, key_id
from mcp_servers.sentry_monitor.src.web.serve import serve_http
from mcp_servers.sentry_monitor.src.web.settings import load_http_settings, transport_of

pytestmark = pytest.mark.anyio
KEY = "mk_correct-horse-battery"
DIGEST = digest_of(KEY)


def test_a_digest_is_the_sha256_of_the_keys_utf8_bytes() -> None:
    assert digest_of("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert digest_of("é") == "sha256:" + __import__("hashlib").sha256("é".encode()).hexdigest()
    assert key_id(DIGEST) == "key:" + DIGEST[7:19]


@pytest.mark.parametrize("typed", [KEY, KEY + "\n", KEY + "\r\n"])
def test_hash_key_reads_the_key_on_stdin_without_its_trailing_newline(typed: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert hash_key_command(io.StringIO(typed), out, err) == 0
    assert out.getvalue() == DIGEST + "\n" and not err.getvalue()


@pytest.mark.parametrize("typed", ["", "\n", " padded \n"])
def test_hash_key_refuses_an_empty_or_padded_key(typed: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert hash_key_command(io.StringIO(typed), out, err) == 2
    assert not out.getvalue() and "stdin" in err.getvalue()


def test_the_hash_key_command_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    with pytest.raises(SystemExit) as exited:
        main(["hash-key"])
    assert exited.value.code == 0 and capsys.readouterr().out == DIGEST + "\n"


async def test_the_verifier_knows_a_listed_key_by_its_id_and_keeps_no_key() -> None:
    verifier = ApiKeyVerifier(frozenset({DIGEST, digest_of("other")}))
    token = await verifier.verify_token(KEY)
    assert token is not None and token.client_id == key_id(DIGEST)
    assert KEY not in token.model_dump_json()
    assert await verifier.verify_token(KEY + "x") is None
    assert await verifier.verify_token("") is None


def test_defaults_listen_on_loopback_and_check_its_hosts() -> None:
    settings = load_http_settings({"SENTRY_MONITOR_API_KEYS": DIGEST.upper().replace("SHA256", "sha256")})
    assert (settings.host, settings.port, settings.caller_concurrency) == ("127.0.0.1", 8000, 8)
    assert settings.api_key_digests == {DIGEST}
    assert "127.0.0.1:*" in settings.host_patterns() and "localhost:*" in settings.host_patterns()
    assert "http://localhost:*" in settings.origins() and settings.cors_origins == ()


def test_a_public_url_and_extra_hosts_feed_the_host_and_origin_checks() -> None:
    settings = load_http_settings(
        {
            "SENTRY_MONITOR_API_KEYS": DIGEST,
            "SENTRY_MONITOR_PUBLIC_URL": "https://mcp.example.com/mcp/",
            "SENTRY_MONITOR_ALLOWED_HOSTS": "mcp.internal, 10.0.0.5:8000, [fd00::1]",
            "SENTRY_MONITOR_CORS_ORIGINS": "https://app.example.com/",
        },
        {"host": "0.0.0.0", "port": "9000"},
    )
    assert settings.public_url == "https://mcp.example.com/mcp"
    hosts = settings.host_patterns()
    assert {"mcp.example.com", "mcp.example.com:443", "mcp.internal", "mcp.internal:*", "10.0.0.5:8000"} <= set(hosts)
    assert {"[fd00::1]", "[fd00::1]:*"} <= set(hosts)
    assert not any(host.startswith("127.0.0.1") for host in hosts)  # not on loopback: no local names
    assert settings.origins() == ["https://mcp.example.com", "https://app.example.com"]


@pytest.mark.parametrize(
    ("environ", "flags", "variable"),
    [
        ({}, {}, "SENTRY_MONITOR_API_KEYS"),
        ({"SENTRY_MONITOR_API_KEYS": KEY}, {}, "SENTRY_MONITOR_API_KEYS"),
        ({"SENTRY_MONITOR_API_KEYS": DIGEST}, {"host": "0.0.0.0"}, "SENTRY_MONITOR_PUBLIC_URL"),
        ({"SENTRY_MONITOR_API_KEYS": DIGEST, "SENTRY_MONITOR_PUBLIC_URL": "mcp.example.com"}, {}, None),
        ({"SENTRY_MONITOR_API_KEYS": DIGEST}, {"port": "70000"}, "--port"),
        ({"SENTRY_MONITOR_API_KEYS": DIGEST}, {"auth": "none"}, "--auth"),
        ({"SENTRY_MONITOR_API_KEYS": DIGEST, "SENTRY_MONITOR_CORS_ORIGINS": "*"}, {}, None),
        ({"SENTRY_MONITOR_API_KEYS": DIGEST, "SENTRY_MONITOR_CALLER_CONCURRENCY": "0"}, {}, None),
    ],
)
def test_a_bad_setting_is_named_and_a_pasted_key_is_not_shown(
    environ: dict[str, str], flags: dict[str, str | None], variable: str | None
) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        load_http_settings(environ, flags)
    if variable:
        assert raised.value.details["variable"] == variable
    assert KEY not in raised.value.message


def test_the_transport_comes_from_the_flag_or_the_environment() -> None:
    assert transport_of({}, {}) == "stdio"
    assert transport_of({"SENTRY_MONITOR_TRANSPORT": "HTTP"}, {}) == "http"
    assert transport_of({"SENTRY_MONITOR_TRANSPORT": "http"}, {"transport": "stdio"}) == "stdio"
    with pytest.raises(InvalidConfiguration):
        transport_of({"SENTRY_MONITOR_TRANSPORT": "sse"}, {})


async def test_the_server_does_not_start_without_a_token_or_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert await serve_http({}, {"SENTRY_MONITOR_API_KEYS": DIGEST}) == 2
    assert "SENTRY_AUTH_TOKEN is not set" in capsys.readouterr().err
    token = "sntryu_" + "a" * 64
    assert await serve_http({}, {"SENTRY_AUTH_TOKEN": token}) == 2
    err = capsys.readouterr().err
    assert "SENTRY_MONITOR_API_KEYS is not set" in err and token not in err


def test_a_bad_transport_stops_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_MONITOR_TRANSPORT", "carrier-pigeon")
    with pytest.raises(SystemExit) as exited:
        main([])
    assert "SENTRY_MONITOR_TRANSPORT must be one of stdio, http" in str(exited.value.code)
