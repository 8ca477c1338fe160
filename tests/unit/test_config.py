from __future__ import annotations

import pytest

from mcp_servers.sentry_monitor.__main__ import parse_flags
from mcp_servers.sentry_monitor.src.base.config import load_settings
from mcp_servers.sentry_monitor.src.base.errors import InvalidConfiguration, NotConfigured

TOKEN = {"SENTRY_AUTH_TOKEN": "sntryu_abcdef"}


def test_defaults_apply_when_only_the_token_is_set() -> None:
    settings = load_settings(TOKEN)
    assert (settings.url, settings.org, settings.timeout, settings.retry_attempts) == ("https://sentry.io", None, 30, 3)
    assert settings.max_response_bytes == 8 * 1024 * 1024
    assert settings.is_saas and settings.api_base == "https://sentry.io/api/0/"
    assert "sntryu_abcdef" not in repr(settings)


def test_missing_token_is_not_configured() -> None:
    with pytest.raises(NotConfigured) as caught:
        load_settings({"SENTRY_URL": "https://sentry.io"})
    assert caught.value.to_detail().code == "NOT_CONFIGURED"
    assert "SENTRY_AUTH_TOKEN" in caught.value.recovery


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SENTRY_MONITOR_TIMEOUT", "soon"),
        ("SENTRY_MONITOR_TIMEOUT", "0"),
        ("SENTRY_MONITOR_RETRY_ATTEMPTS", "-1"),
        ("SENTRY_MONITOR_RETRY_ATTEMPTS", "2.5"),
        ("SENTRY_MONITOR_MAX_RESPONSE_BYTES", "12"),
        ("SENTRY_URL", "ftp://x"),
        ("SENTRY_URL", "https://user:pw@sentry.io"),
        ("SENTRY_ORG", "acme/../x"),
        ("SENTRY_MONITOR_READ_ONLY", "maybe"),
        ("SENTRY_MONITOR_ALLOWED_PROJECTS", "backend,../etc"),
        ("SENTRY_MONITOR_ALLOWED_PROJECTS", " , "),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        load_settings({**TOKEN, variable: value})
    detail = caught.value.to_detail()
    assert detail.code == "INVALID_CONFIGURATION"
    assert detail.details["variable"] == variable
    assert variable in detail.message


def test_token_with_whitespace_is_invalid() -> None:
    with pytest.raises(InvalidConfiguration):
        load_settings({"SENTRY_AUTH_TOKEN": "abc def"})


def test_flags_win_over_the_environment_and_are_named_in_errors() -> None:
    flags = parse_flags(
        ["--url", "https://sentry.example.com/prefix/", "--org", "acme", "--timeout", "5", "--read-only"]
    )
    settings = load_settings({**TOKEN, "SENTRY_URL": "https://other", "SENTRY_ORG": "other"}, flags)
    assert settings.url == "https://sentry.example.com/prefix"
    assert settings.api_base == "https://sentry.example.com/prefix/api/0/"
    assert settings.org == "acme" and settings.timeout == 5 and settings.read_only
    assert not settings.is_saas
    with pytest.raises(InvalidConfiguration) as caught:
        load_settings(TOKEN, parse_flags(["--retry-attempts", "many"]))
    assert caught.value.details["variable"] == "--retry-attempts"


def test_the_token_has_no_flag() -> None:
    with pytest.raises(SystemExit):
        parse_flags(["--auth-token", "secret"])


def test_a_pasted_api_root_is_accepted() -> None:
    assert load_settings({**TOKEN, "SENTRY_URL": "https://de.sentry.io/api/0/"}).url == "https://de.sentry.io"


def test_allowed_projects_are_lowercased_slugs_and_refuse_everything_else() -> None:
    settings = load_settings({**TOKEN, "SENTRY_MONITOR_ALLOWED_PROJECTS": " Backend, worker ,"})
    assert settings.allowed_projects == frozenset({"backend", "worker"})
    assert settings.allows("BACKEND") and not settings.allows("web") and not settings.allows(None)
    assert load_settings(TOKEN).allows("anything")
    flagged = load_settings(TOKEN, parse_flags(["--allowed-projects", "web"]))
    assert flagged.allowed_projects == frozenset({"web"})
