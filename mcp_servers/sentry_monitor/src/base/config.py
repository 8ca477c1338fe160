"""Settings from the environment and command-line flags, validated once.

Every setting but the token has an environment variable and a flag of the same meaning; a flag wins
over the variable. The token is read from `SENTRY_AUTH_TOKEN` only: a token on a command line shows
in `ps`. Loading never raises for a missing token: the server must start and list its tools, and each
call then answers `NOT_CONFIGURED`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import InvalidConfiguration, NotConfigured

DEFAULT_URL = "https://sentry.io"
SAAS_HOSTS = ("sentry.io", "us.sentry.io", "de.sentry.io")
RESULT_FORMATS = ("structured", "text")
SERVER_KINDS = ("auto", "sentry", "glitchtip")
SLUG = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,99}$")
"""An organization or project slug, lowercase."""


@dataclass(frozen=True)
class Option:
    """One setting: its environment variable, its flag, its default and what it means."""

    name: str
    env: str
    flag: str | None
    default: str | None
    help: str


OPTIONS: tuple[Option, ...] = (
    Option(
        "auth_token",
        "SENTRY_AUTH_TOKEN",
        None,
        None,
        "Sentry auth token (required; environment only). Scopes: org:read project:read event:read, "
        "plus event:write to change issues (resolve, assign, note).",
    ),
    Option(
        "url",
        "SENTRY_URL",
        "--url",
        DEFAULT_URL,
        "Sentry base URL: https://sentry.io, a regional host, or http(s)://host[:port][/prefix] for self-hosted.",
    ),
    Option(
        "org", "SENTRY_ORG", "--org", None, "Organization slug. Optional when the token sees exactly one organization."
    ),
    Option(
        "timeout",
        "SENTRY_MONITOR_TIMEOUT",
        "--timeout",
        "30",
        "Deadline in seconds for one whole operation, retries included.",
    ),
    Option(
        "retry_attempts",
        "SENTRY_MONITOR_RETRY_ATTEMPTS",
        "--retry-attempts",
        "3",
        "Retries after the first request for transient failures (so at most N+1 requests).",
    ),
    Option(
        "max_response_bytes",
        "SENTRY_MONITOR_MAX_RESPONSE_BYTES",
        "--max-response-bytes",
        str(8 * 1024 * 1024),
        "Largest Sentry response body read, in bytes.",
    ),
    Option(
        "read_only",
        "SENTRY_MONITOR_READ_ONLY",
        "--read-only",
        "false",
        "When true, the tools that change Sentry (resolve-issue) are hidden and answer READ_ONLY.",
    ),
    Option(
        "max_result_chars",
        "SENTRY_MONITOR_MAX_RESULT_CHARS",
        "--max-result-chars",
        str(24_000),
        "Budget for what a model reads of one result, in characters (about 4 a token): neither the text nor the "
        "structured JSON exceeds it; a longer list is cut at an item boundary and a warning says how to get the rest.",
    ),
    Option(
        "result_format",
        "SENTRY_MONITOR_RESULT_FORMAT",
        "--result-format",
        "structured",
        "structured: results carry structuredContent (ModuleOutput-shaped JSON, each tool with an outputSchema) "
        "and text; text: text only and no outputSchema, for clients that show a model the structured JSON when "
        "there is one (Claude Code, VS Code) but should show the text.",
    ),
    Option(
        "server",
        "SENTRY_MONITOR_SERVER",
        "--server",
        "auto",
        "What SENTRY_URL is: auto (ask it once, by GET /api/settings/, which only GlitchTip answers; sentry.io is "
        "not asked), sentry or glitchtip.",
    ),
    Option(
        "allowed_projects",
        "SENTRY_MONITOR_ALLOWED_PROJECTS",
        "--allowed-projects",
        None,
        "Comma-separated project slugs: when set, every tool works only on these projects and answers "
        "PROJECT_NOT_ALLOWED for others.",
    ),
)


@dataclass(frozen=True)
class Settings:
    auth_token: str = field(repr=False)
    url: str = DEFAULT_URL
    org: str | None = None
    timeout: float = 30.0
    retry_attempts: int = 3
    max_response_bytes: int = 8 * 1024 * 1024
    read_only: bool = False
    allowed_projects: frozenset[str] | None = None
    max_result_chars: int = 24_000
    result_format: str = "structured"
    server: str = "auto"

    @property
    def structured(self) -> bool:
        """Whether results carry structuredContent (and tools an outputSchema)."""
        return self.result_format == "structured"

    def allows(self, project_slug: str | None) -> bool:
        """Whether a project may be read or changed; an unknown project is refused under an allow-list."""
        if self.allowed_projects is None:
            return True
        return project_slug is not None and project_slug.lower() in self.allowed_projects

    @property
    def api_base(self) -> str:
        """The API root, e.g. `https://sentry.io/api/0/`."""
        return self.url.rstrip("/") + "/api/0/"

    @property
    def is_saas(self) -> bool:
        host = urlsplit(self.url).hostname or ""
        return host in SAAS_HOSTS

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


def load_settings(
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, str | None] | None = None,
    *,
    service_token: bool = True,
) -> Settings:
    """Build settings from `environ` (default: the process environment) and flag values by option name.

    Raises NotConfigured when no token is set, InvalidConfiguration naming the variable for a bad value.
    `service_token=False` (a team server whose users sign in): SENTRY_AUTH_TOKEN is neither needed nor used.
    """
    raw = raw_values(OPTIONS, environ, flags)
    token = (raw["auth_token"][0] or "") if service_token else ""
    if not token and service_token:
        raise NotConfigured("SENTRY_AUTH_TOKEN is not set, so no call to Sentry can be made.")
    if any(ch.isspace() for ch in token) or not token.isprintable():
        raise InvalidConfiguration(
            "SENTRY_AUTH_TOKEN contains spaces or control characters.", variable="SENTRY_AUTH_TOKEN"
        )
    return Settings(
        auth_token=token,
        url=_url(*raw["url"]),
        org=_org(*raw["org"]),
        timeout=number(*raw["timeout"], low=1.0, high=600.0),
        retry_attempts=int(number(*raw["retry_attempts"], low=0, high=10, integer=True)),
        max_response_bytes=int(number(*raw["max_response_bytes"], low=1024, high=1024**3, integer=True)),
        read_only=_boolean(*raw["read_only"]),
        allowed_projects=_slugs(*raw["allowed_projects"]),
        max_result_chars=int(number(*raw["max_result_chars"], low=2_000, high=1_000_000, integer=True)),
        result_format=choice(*raw["result_format"], choices=RESULT_FORMATS),
        server=choice(*raw["server"], choices=SERVER_KINDS),
    )


def raw_values(
    options: tuple[Option, ...], environ: Mapping[str, str] | None, flags: Mapping[str, str | None] | None
) -> dict[str, tuple[str | None, str]]:
    """Each option's raw value (a flag wins over its variable; a blank variable is unset, so the default) and the
    flag or variable it came from, which an error names."""
    environ = os.environ if environ is None else environ
    flags = flags or {}
    raw: dict[str, tuple[str | None, str]] = {}
    for option in options:
        flag_value = flags.get(option.name)
        if flag_value is not None:
            raw[option.name] = (flag_value, option.flag or option.env)
        else:
            env_value = (environ.get(option.env) or "").strip()
            raw[option.name] = (env_value or option.default, option.env)
    return raw


def _url(value: str | None, source: str) -> str:
    value = (value or DEFAULT_URL).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidConfiguration(
            f"{source} must be an http(s) URL such as https://sentry.io, got {value!r}.", variable=source
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidConfiguration(f"{source} must not carry a query, fragment or credentials.", variable=source)
    path = parts.path.rstrip("/")
    if path.endswith("/api/0"):  # people paste the API root; accept it
        path = path[: -len("/api/0")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _org(value: str | None, source: str) -> str | None:
    if value is None:
        return None
    if not value.replace("-", "").replace("_", "").isalnum() or not value.isascii():
        raise InvalidConfiguration(
            f"{source} must be an organization slug (letters, digits, - and _), got {value!r}.", variable=source
        )
    return value


def _slugs(value: str | None, source: str) -> frozenset[str] | None:
    if value is None:
        return None
    slugs = frozenset(part.strip().lower() for part in value.split(",") if part.strip())
    bad = sorted(slug for slug in slugs if not SLUG.match(slug))
    if bad or not slugs:
        raise InvalidConfiguration(
            f"{source} must be comma-separated project slugs such as 'backend,worker', got {value!r}.",
            variable=source,
        )
    return slugs


def number(value: str | None, source: str, *, low: float, high: float, integer: bool = False) -> float:
    try:
        number = int(value or "") if integer else float(value or "")
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise InvalidConfiguration(f"{source} must be {kind}, got {value!r}.", variable=source) from None
    if not low <= number <= high:
        raise InvalidConfiguration(f"{source} must be between {low:g} and {high:g}, got {value}.", variable=source)
    return number


def choice(value: str | None, source: str, *, choices: tuple[str, ...]) -> str:
    lowered = (value or choices[0]).lower()
    if lowered not in choices:
        raise InvalidConfiguration(f"{source} must be one of {', '.join(choices)}, got {value!r}.", variable=source)
    return lowered


def _boolean(value: str | None, source: str) -> bool:
    lowered = (value or "").lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise InvalidConfiguration(f"{source} must be true or false, got {value!r}.", variable=source)
