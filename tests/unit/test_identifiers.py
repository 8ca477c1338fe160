from __future__ import annotations

import pytest

from mcp_servers.sentry_monitor.src.base.config import Settings
from mcp_servers.sentry_monitor.src.base.errors import InvalidParameter
from mcp_servers.sentry_monitor.src.sentry import identifiers

SAAS = Settings(auth_token="t", url="https://sentry.io", org="acme")
SELF_HOSTED = Settings(auth_token="t", url="https://errors.example.com/sentry", org="acme")


@pytest.mark.parametrize(
    ("given", "settings", "issue_id", "org"),
    [
        ("4505", SAAS, "4505", None),
        (" backend-1a ", SAAS, "BACKEND-1A", None),
        ("MY_APP-WEB-Z9", SAAS, "MY_APP-WEB-Z9", None),
        ("https://acme.sentry.io/issues/4505/?project=1", SAAS, "4505", "acme"),
        ("https://sentry.io/organizations/acme/issues/4505/events/abc/", SAAS, "4505", "acme"),
        ("https://de.sentry.io/organizations/acme/issues/BACKEND-2/", SAAS, "BACKEND-2", "acme"),
        ("https://errors.example.com/sentry/organizations/acme/issues/77/", SELF_HOSTED, "77", "acme"),
    ],
)
def test_issue_references(given: str, settings: Settings, issue_id: str, org: str | None) -> None:
    ref = identifiers.issue_ref(given, settings)
    assert (ref.issue_id, ref.org) == (issue_id, org)


@pytest.mark.parametrize(
    "given",
    [
        "",
        "../../etc/passwd",
        "1%2F2",
        "abc",
        "12 34",
        "BACKEND-1/../2",
        "BACKEND-1\x00",
        "https://evil.example.com/organizations/acme/issues/1/",
        "https://acme.sentry.io.evil.com/issues/1/",
        "https://errors.example.com/sentry/organizations/acme/projects/1/",
        "javascript:alert(1)",
        "https://errors.example.com/organizations/a%2Fb/issues/1/",
    ],
)
def test_bad_issue_references_are_refused_naming_the_field(given: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        identifiers.issue_ref(given, SELF_HOSTED if "errors.example" in given else SAAS)
    assert caught.value.details["field"] == "issue_id"


def test_urls_of_other_hosts_are_refused_even_for_saas() -> None:
    with pytest.raises(InvalidParameter, match="not at the configured Sentry"):
        identifiers.issue_ref("https://errors.example.com/organizations/acme/issues/1/", SAAS)


@pytest.mark.parametrize("slug", ["backend", "Backend", "my_app-2"])
def test_project_slugs_are_normalised(slug: str) -> None:
    assert identifiers.project_slug(slug) == slug.lower()


@pytest.mark.parametrize("slug", ["", "../x", "a/b", "a%2Fb", "-x", "a" * 101, "é"])
def test_bad_project_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidParameter):
        identifiers.project_slug(slug)


def test_event_ids_and_cursors() -> None:
    assert identifiers.event_id("7CA5D1E2-0000-4000-8000-00000000ABCD") == "7ca5d1e200004000800000000000abcd"
    with pytest.raises(InvalidParameter):
        identifiers.event_id("latest")
    assert identifiers.cursor("0:100:0") == "0:100:0"
    assert identifiers.cursor("") is None
    with pytest.raises(InvalidParameter):
        identifiers.cursor("0:100:0&project=2")
