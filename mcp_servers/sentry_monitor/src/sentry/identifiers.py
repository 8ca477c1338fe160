"""Validating what users pass as ids, slugs and URLs before any of it reaches a request path.

Operations never put raw input into a URL: a slug or id goes through these checks first, and the
client then percent-encodes every path segment on top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..base.config import SAAS_HOSTS, SLUG, Settings
from ..base.errors import InvalidParameter

NUMERIC_ID = re.compile(r"^[0-9]{1,20}$")
SHORT_ID = re.compile(r"^[A-Z0-9_][A-Z0-9_-]{0,99}-[0-9A-Z]{1,13}$")
EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
CURSOR = re.compile(r"^[A-Za-z0-9:._=+/-]{1,200}$")


def project_slug(value: str, field: str = "project_slug") -> str:
    slug = value.strip().lower()
    if not SLUG.match(slug):
        raise InvalidParameter(
            field,
            f"{field} must be a Sentry project slug (lowercase letters, digits, '-' and '_'), got {value!r}.",
            recovery="Pass the project's slug as shown in its Sentry URL, e.g. 'backend'.",
        )
    return slug


def cursor(value: str | None, field: str = "cursor") -> str | None:
    if value is None or value == "":
        return None
    if not CURSOR.match(value) or ".." in value:
        raise InvalidParameter(
            field,
            f"{field} is not a cursor this server handed out.",
            recovery="Pass back the next_cursor of a previous result unchanged, or omit it.",
        )
    return value


def event_id(value: str, field: str = "event_id") -> str:
    normalized = value.strip().lower().replace("-", "")
    if not EVENT_ID.match(normalized):
        raise InvalidParameter(field, f"{field} must be a 32-character hexadecimal Sentry event id, got {value!r}.")
    return normalized


@dataclass(frozen=True)
class IssueRef:
    """An issue as the user named it: a numeric id or a short id, and the organization of its URL."""

    issue_id: str
    org: str | None = None
    given: str = ""


def issue_ref(value: str, settings: Settings | None, field: str = "issue_id") -> IssueRef:
    """Parse a numeric id, a short id (`BACKEND-1A`) or an issue URL of the configured Sentry.

    A URL is never fetched: its host must be the configured Sentry's (or an `<org>.sentry.io` host
    for sentry.io) and only the issue id and organization are taken from it.
    """
    text = value.strip()
    if NUMERIC_ID.match(text):
        return IssueRef(issue_id=text, given=value)
    if SHORT_ID.match(text.upper()) and "://" not in text:
        return IssueRef(issue_id=text.upper(), given=value)
    if text.lower().startswith(("http://", "https://")):
        return _issue_from_url(text, settings, field)
    raise InvalidParameter(
        field,
        f"{field} must be a numeric issue id (e.g. 4505), a short id (e.g. BACKEND-1A) or an issue URL, got {value!r}.",
        recovery="Take the id from get-recent-issues (id or short_id) or paste the issue's Sentry URL.",
    )


def _issue_from_url(text: str, settings: Settings | None, field: str) -> IssueRef:
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise InvalidParameter(field, f"{field} is not a valid URL.") from None
    org_from_host: str | None = None
    configured_host = settings.host.lower() if settings else ""
    if settings is not None and settings.is_saas and host.endswith(".sentry.io") and host not in SAAS_HOSTS:
        org_from_host = host[: -len(".sentry.io")]
    elif settings is None or not (host == configured_host or (settings.is_saas and host in SAAS_HOSTS)):
        raise InvalidParameter(
            field,
            f"The issue URL points at {host or 'no host'}, not at the configured Sentry "
            f"({configured_host or 'unset'}).",
            recovery="Pass an issue URL of the Sentry this server is configured for (SENTRY_URL), or the issue id.",
            host=host,
        )
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    org = org_from_host
    issue_id: str | None = None
    for index, segment in enumerate(segments):
        if segment == "organizations" and index + 1 < len(segments):
            org = segments[index + 1]
        if segment == "issues" and index + 1 < len(segments):
            issue_id = segments[index + 1]
            break
    if issue_id is None or not (NUMERIC_ID.match(issue_id) or SHORT_ID.match(issue_id.upper())):
        raise InvalidParameter(
            field,
            "The URL is not a Sentry issue URL (…/issues/<id>/).",
            recovery="Open the issue in Sentry and copy its URL, or pass the issue id.",
        )
    if org is not None and not SLUG.match(org):
        raise InvalidParameter(field, "The URL's organization is not a valid slug.")
    return IssueRef(issue_id=issue_id.upper(), org=org, given=text)
