"""The HTTP server's settings: where it listens, who may call it, and its limits.

Like the Sentry settings (`base/config.py`), each has an environment variable and a flag (a flag wins),
except the API key digests, which come from `SENTRY_MONITOR_API_KEYS` only. Unlike stdio, a bad or
missing setting stops the server at start: a team server that answers every call NOT_CONFIGURED would
look healthy to its load balancer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..base.config import Option, choice, number, raw_values
from ..base.errors import InvalidConfiguration

TRANSPORTS = ("stdio", "http")
AUTH_MODES = ("service", "oauth", "user-token")
SIGN_IN_MODES = ("oauth", "user-token")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
WITH_PORT = re.compile(r"^(\[[^\]]+\]|[^:\[\]]+):\d+$")  # host:port or [v6]:port

HTTP_OPTIONS: tuple[Option, ...] = (
    Option("transport", "SENTRY_MONITOR_TRANSPORT", "--transport", "stdio", "stdio, or http (streamable HTTP)."),
    Option("host", "SENTRY_MONITOR_HOST", "--host", "127.0.0.1", "HTTP: the address to listen on."),
    Option("port", "SENTRY_MONITOR_PORT", "--port", "8000", "HTTP: the port to listen on (0: any free port)."),
    Option(
        "public_url",
        "SENTRY_MONITOR_PUBLIC_URL",
        "--public-url",
        None,
        "HTTP: the URL clients use, e.g. https://mcp.example.com/mcp behind a TLS proxy; the Host and Origin "
        "checks accept its host. Required when listening on other than 127.0.0.1/localhost.",
    ),
    Option(
        "auth",
        "SENTRY_MONITOR_AUTH",
        "--auth",
        None,
        "HTTP: who the caller is. service: callers present an API key and every call uses SENTRY_AUTH_TOKEN; "
        "oauth: each user signs in with Sentry (OAuth) and acts as themself; user-token: each user signs in with "
        "their own API token (GlitchTip). Default: oauth when SENTRY_OAUTH_CLIENT_ID is set, else service.",
    ),
    Option("oauth_client_id", "SENTRY_OAUTH_CLIENT_ID", None, None, "HTTP, oauth: the Sentry OAuth application's id."),
    Option(
        "oauth_client_secret",
        "SENTRY_OAUTH_CLIENT_SECRET",
        None,
        None,
        "HTTP, oauth: the Sentry OAuth application's secret. Environment only.",
    ),
    Option(
        "secret_key",
        "SENTRY_MONITOR_SECRET_KEY",
        None,
        None,
        "HTTP, sign-ins: comma-separated Fernet keys that encrypt users' Sentry tokens at rest; the first encrypts, "
        "all decrypt (rotation). Make one with `sentry-error-monitor sign-ins new-key`. Environment only.",
    ),
    Option(
        "allowed_orgs",
        "SENTRY_MONITOR_ALLOWED_ORGS",
        "--allowed-orgs",
        None,
        "HTTP, sign-ins: comma-separated organization slugs whose members may sign in (default SENTRY_ORG).",
    ),
    Option(
        "state_file",
        "SENTRY_MONITOR_STATE_FILE",
        "--state-file",
        None,
        "HTTP, sign-ins: the SQLite file of sign-ins and tokens (default "
        "$XDG_STATE_HOME/sentry-error-monitor/sign-ins.sqlite3).",
    ),
    Option(
        "redis_url",
        "SENTRY_MONITOR_REDIS_URL",
        "--redis-url",
        None,
        "HTTP: redis://[:password@]host:port/db (rediss:// for TLS, unix:///path.sock) of the Redis or Valkey that "
        "replicas share: sign-ins and tokens, the renewal lock, Sentry's rate limits and route forms. Unset: all in "
        "this process (one replica; sign-ins in SENTRY_MONITOR_STATE_FILE).",
    ),
    Option(
        "api_keys",
        "SENTRY_MONITOR_API_KEYS",
        None,
        None,
        "HTTP: comma-separated sha256:<hex> digests of the API keys callers present as 'Authorization: Bearer "
        "<key>' (make one with `sentry-error-monitor hash-key`). Environment only.",
    ),
    Option(
        "allowed_hosts",
        "SENTRY_MONITOR_ALLOWED_HOSTS",
        "--allowed-hosts",
        None,
        "HTTP: more Host header values to accept (comma-separated, host or host:port), besides the public URL's.",
    ),
    Option(
        "cors_origins",
        "SENTRY_MONITOR_CORS_ORIGINS",
        "--cors-origins",
        None,
        "HTTP: comma-separated origins (https://app.example.com) whose browser pages may call /mcp. Off unless set.",
    ),
    Option(
        "max_body_bytes",
        "SENTRY_MONITOR_MAX_BODY_BYTES",
        "--max-body-bytes",
        str(1024 * 1024),
        "HTTP: the largest request body accepted, in bytes (larger answers 413).",
    ),
    Option(
        "caller_concurrency",
        "SENTRY_MONITOR_CALLER_CONCURRENCY",
        "--caller-concurrency",
        "8",
        "HTTP: calls one caller may have in flight in one process; more answer TOO_MANY_CALLS.",
    ),
)


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    auth: str = "service"
    api_key_digests: frozenset[str] = frozenset()
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    allowed_orgs: tuple[str, ...] = ()
    state_file: str | None = None
    redis_url: str | None = field(default=None, repr=False)  # may hold a password
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    caller_concurrency: int = 8

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK

    def host_patterns(self) -> list[str]:
        """Host header values the server answers (the SDK's TransportSecuritySettings patterns; ':*' any port)."""
        hosts = [pattern for name in LOOPBACK if self.loopback for pattern in _host_patterns(name)]
        if self.public_url:
            parts = urlsplit(self.public_url)
            hosts.append(parts.netloc)
            if parts.port is None:  # some clients name the default port
                hosts.append(f"{parts.netloc}:{443 if parts.scheme == 'https' else 80}")
        for host in self.allowed_hosts:
            hosts.extend([host] if WITH_PORT.match(host) else _host_patterns(host))
        return hosts

    def origins(self) -> list[str]:
        """Origin header values accepted: the public URL's origin, the CORS origins, and local pages on loopback."""
        local = [name if name != "::1" else "[::1]" for name in LOOPBACK if self.loopback]
        origins = [f"{scheme}://{name}{port}" for name in local for scheme in ("http", "https") for port in ("", ":*")]
        if self.public_url:
            parts = urlsplit(self.public_url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return [*origins, *self.cors_origins]


def _host_patterns(name: str) -> list[str]:
    bracketed = f"[{name}]" if ":" in name and not name.startswith("[") else name
    return [bracketed, f"{bracketed}:*"]


def transport_of(environ: Mapping[str, str] | None = None, flags: Mapping[str, str | None] | None = None) -> str:
    """stdio or http, from --transport or SENTRY_MONITOR_TRANSPORT."""
    return choice(*raw_values(HTTP_OPTIONS[:1], environ, flags)["transport"], choices=TRANSPORTS)


def load_http_settings(
    environ: Mapping[str, str] | None = None, flags: Mapping[str, str | None] | None = None
) -> HttpSettings:
    """Raises InvalidConfiguration naming the variable for a bad or missing value."""
    raw = raw_values(HTTP_OPTIONS, environ, flags)
    host = (raw["host"][0] or "127.0.0.1").strip("[]")
    public_url = _public_url(*raw["public_url"])
    if host not in LOOPBACK and public_url is None:
        raise InvalidConfiguration(
            f"Listening on {host} needs SENTRY_MONITOR_PUBLIC_URL (--public-url), the URL clients use, so that "
            "the Host check knows which host is right.",
            variable="SENTRY_MONITOR_PUBLIC_URL",
        )
    client_id, client_secret = raw["oauth_client_id"][0], raw["oauth_client_secret"][0]
    auth = choice(raw["auth"][0] or ("oauth" if client_id else "service"), raw["auth"][1], choices=AUTH_MODES)
    if auth == "service":
        digests = _digests(*raw["api_keys"])
    else:
        digests = frozenset()
        _sign_in_needs(auth, public_url, raw)
    return HttpSettings(
        host=host,
        port=int(number(*raw["port"], low=0, high=65535, integer=True)),
        public_url=public_url,
        auth=auth,
        api_key_digests=digests,
        oauth_client_id=client_id,
        oauth_client_secret=client_secret,
        secret_key=raw["secret_key"][0],
        allowed_orgs=tuple(org.lower() for org in _list(raw["allowed_orgs"][0])),
        state_file=raw["state_file"][0],
        redis_url=redis_url_setting(*raw["redis_url"]),
        allowed_hosts=_list(raw["allowed_hosts"][0]),
        cors_origins=tuple(_origin(origin, raw["cors_origins"][1]) for origin in _list(raw["cors_origins"][0])),
        max_body_bytes=int(number(*raw["max_body_bytes"], low=1024, high=64 * 1024 * 1024, integer=True)),
        caller_concurrency=int(number(*raw["caller_concurrency"], low=1, high=1000, integer=True)),
    )


def _sign_in_needs(auth: str, public_url: str | None, raw: dict[str, tuple[str | None, str]]) -> None:
    """What signing in needs at start: the public URL (the OAuth issuer and the token's resource), the key that
    encrypts users' tokens, and for Sentry's OAuth the application's id and secret."""
    needed = [("public_url", public_url), ("secret_key", raw["secret_key"][0])]
    if auth == "oauth":
        needed += [
            ("oauth_client_id", raw["oauth_client_id"][0]),
            ("oauth_client_secret", raw["oauth_client_secret"][0]),
        ]
    for name, value in needed:
        if not value:
            variable = raw[name][1]
            raise InvalidConfiguration(
                f"SENTRY_MONITOR_AUTH={auth} needs {variable}: " + SIGN_IN_NEEDS[name], variable=variable
            )
    assert public_url is not None
    parts = urlsplit(public_url)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK:
        raise InvalidConfiguration(
            f"SENTRY_MONITOR_AUTH={auth} needs an https SENTRY_MONITOR_PUBLIC_URL (OAuth allows http on loopback "
            f"only), got {public_url!r}.",
            variable="SENTRY_MONITOR_PUBLIC_URL",
        )


SIGN_IN_NEEDS = {
    "public_url": "the URL clients use (the sign-in pages and tokens are made for it).",
    "secret_key": "Fernet keys that encrypt users' Sentry tokens (`sentry-error-monitor sign-ins new-key` makes one).",
    "oauth_client_id": "the id of the OAuth application registered in Sentry (docs/deploy.md).",
    "oauth_client_secret": "the secret of the OAuth application registered in Sentry (docs/deploy.md).",
}


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _digests(value: str | None, source: str) -> frozenset[str]:
    digests = [part.lower() for part in _list(value)]
    if not digests:
        raise InvalidConfiguration(
            f"{source} is not set: over HTTP every caller needs an API key. Make a key, run "
            "`sentry-error-monitor hash-key` on it and set the digest it prints (sha256:...).",
            variable=source,
        )
    bad = [digest for digest in digests if not DIGEST.match(digest)]
    if bad:
        # A digest is not a secret, but a value in the wrong shape may be a key pasted by mistake: show none of it.
        raise InvalidConfiguration(
            f"{source} holds {len(bad)} value(s) that are not sha256:<64 hex digits> digests; set the digests "
            "`sentry-error-monitor hash-key` prints, never the keys themselves.",
            variable=source,
        )
    return frozenset(digests)


def _public_url(value: str | None, source: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidConfiguration(
            f"{source} must be the http(s) URL clients use, such as https://mcp.example.com/mcp, got {value!r}.",
            variable=source,
        )
    return value.strip().rstrip("/")


def redis_url_setting(value: str | None, source: str) -> str | None:
    if not value or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        # The URL may carry a password: never shown.
        raise InvalidConfiguration(
            f"{source} must be a redis://host:port/db, rediss:// or unix:///path URL (its value is not shown: it may "
            "hold a password).",
            variable=source,
        )
    return value.strip()


def _origin(value: str, source: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise InvalidConfiguration(
            f"{source} must list origins such as https://app.example.com (scheme, host, port), got {value!r}.",
            variable=source,
        )
    return f"{parts.scheme}://{parts.netloc}"
