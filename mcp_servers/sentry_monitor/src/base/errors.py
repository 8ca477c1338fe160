"""The exception tree behind every `ErrorDetail` this server answers.

    SentryMonitorError                      (INTERNAL_ERROR, internal, error)
    +-- InvalidParameter                    INVALID_PARAMETER      validation      failure
    +-- UnknownOperation                    UNKNOWN_OPERATION      validation      failure
    +-- NotFound
    |   +-- IssueNotFound                   ISSUE_NOT_FOUND        not_found       failure
    |   +-- ProjectNotFound                 PROJECT_NOT_FOUND      not_found       failure
    |   +-- EventNotFound                   EVENT_NOT_FOUND        not_found       failure
    |   +-- OrganizationNotFound            ORGANIZATION_NOT_FOUND not_found       failure
    |   +-- AssigneeNotFound                ASSIGNEE_NOT_FOUND     not_found       failure
    +-- MissingScope                        MISSING_SCOPE          authorization   failure
    +-- ProjectNotAllowed                   PROJECT_NOT_ALLOWED    authorization   failure
    +-- ReadOnly                            READ_ONLY              authorization   failure
    +-- UnsupportedByServer                 UNSUPPORTED_BY_SERVER  upstream        failure
    +-- AuthFailed                          AUTH_FAILED            authentication  error
    +-- NotAuthenticated                    NOT_AUTHENTICATED      authentication  error
    +-- ConfigurationError
    |   +-- NotConfigured                   NOT_CONFIGURED         configuration   error
    |   +-- InvalidConfiguration            INVALID_CONFIGURATION  configuration   error
    |   +-- OrganizationAmbiguous           ORGANIZATION_AMBIGUOUS configuration   error
    +-- TransientError (retryable)
    |   +-- RateLimited                     RATE_LIMITED           rate_limit      error
    |   +-- OperationTimeout                TIMEOUT                timeout         error
    |   +-- NetworkError                    NETWORK_ERROR          network         error
    |   +-- SentryUnavailable               SENTRY_UNAVAILABLE     upstream        error
    |   +-- CallerBusy                      TOO_MANY_CALLS         rate_limit      error
    +-- SharedStateUnavailable (retryable)  SHARED_STATE_UNAVAILABLE network       error
    +-- BadUpstreamResponse                 BAD_UPSTREAM_RESPONSE  upstream        error
    +-- ResponseTooLarge                    RESPONSE_TOO_LARGE     upstream        error

Messages never contain the auth token: the client never puts headers into them, and
`to_detail()` scrubs any token it is given as a last line of defence.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mcp_servers.framework.contracts import ErrorCategory, ErrorDetail, ModuleStatus


class SentryMonitorError(Exception):
    code: ClassVar[str] = "INTERNAL_ERROR"
    category: ClassVar[ErrorCategory] = ErrorCategory.INTERNAL
    status: ClassVar[ModuleStatus] = ModuleStatus.ERROR
    retryable: ClassVar[bool] = False
    default_recovery: ClassVar[str] = (
        "This is a bug in the Sentry Error Monitor server: retry once, and if it persists report it "
        "with the operation name and parameters (the server log on stderr has the traceback)."
    )

    # Whether Sentry's error answer had a JSON body (set by the client; capability fallbacks read it).
    answered_json: bool | None = None

    def __init__(self, message: str, *, recovery: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.recovery = recovery or self.default_recovery
        self.details = {key: value for key, value in details.items() if value is not None}

    def to_detail(self, secrets: tuple[str, ...] = ()) -> ErrorDetail:
        return ErrorDetail(
            code=self.code,
            message=scrub(self.message, secrets),
            category=self.category,
            recovery_suggestion=scrub(self.recovery, secrets),
            # A write that may have been applied (a POST cut off) is not to be repeated blindly, transient or not.
            retryable=self.retryable and not self.details.get("may_have_applied"),
            details={
                key: scrub(value, secrets) if isinstance(value, str) else value for key, value in self.details.items()
            },
        )


MIN_SECRET_CHARS = 6  # shorter "secrets" are test placeholders; replacing them would garble text


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by [redacted]."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, "[redacted]")
    return text


class _Failure(SentryMonitorError):
    status = ModuleStatus.FAILURE


class InvalidParameter(_Failure):
    code = "INVALID_PARAMETER"
    category = ErrorCategory.VALIDATION
    default_recovery = (
        "Fix the parameter named in details.field and call again; the tool's input schema lists the allowed values."
    )

    def __init__(self, field: str, message: str, *, recovery: str | None = None, **details: Any) -> None:
        super().__init__(message, recovery=recovery, field=field, **details)
        self.field = field


class UnknownOperation(_Failure):
    code = "UNKNOWN_OPERATION"
    category = ErrorCategory.VALIDATION
    default_recovery = "Use one of the operations listed in details.available."


class NotFound(_Failure):
    category = ErrorCategory.NOT_FOUND


class IssueNotFound(NotFound):
    code = "ISSUE_NOT_FOUND"
    default_recovery = (
        "Check the issue id (numeric id, short id like BACKEND-1A, or the issue URL); "
        "call get-recent-issues to list the project's current issues and their ids."
    )


class ProjectNotFound(NotFound):
    code = "PROJECT_NOT_FOUND"
    default_recovery = (
        "Check the project slug (lowercase, as in the project's Sentry URL) and that the token's user is a "
        "member of the project's team; SENTRY_ORG selects the organization."
    )


class EventNotFound(NotFound):
    code = "EVENT_NOT_FOUND"
    default_recovery = (
        "The event may be older than the retention period; call get-error-events to list the issue's current events."
    )


class OrganizationNotFound(NotFound):
    code = "ORGANIZATION_NOT_FOUND"
    default_recovery = (
        "Set SENTRY_ORG to the organization slug shown in your Sentry URL, or unset it to use the only "
        "organization the token can see; check SENTRY_URL points at the right Sentry (regional or self-hosted)."
    )


class AssigneeNotFound(NotFound):
    code = "ASSIGNEE_NOT_FOUND"
    default_recovery = (
        "Pass one of details.candidates, or an exact email, username, user id, #team-slug, `me` or `none`; "
        "list-assignees(project_slug=...) lists who can be assigned in the issue's project."
    )


class MissingScope(_Failure):
    code = "MISSING_SCOPE"
    category = ErrorCategory.AUTHORIZATION
    default_recovery = (
        "Create a Sentry user auth token (Settings > Account > API > Auth Tokens) with the scopes "
        "org:read project:read event:read, plus event:write to change issues, and set it as SENTRY_AUTH_TOKEN."
    )


class ProjectNotAllowed(_Failure):
    code = "PROJECT_NOT_ALLOWED"
    category = ErrorCategory.AUTHORIZATION
    default_recovery = "Use a project the token's user can access; ask an organization owner to add you to its team."


class ReadOnly(_Failure):
    code = "READ_ONLY"
    category = ErrorCategory.AUTHORIZATION
    default_recovery = "This server runs read-only; unset SENTRY_MONITOR_READ_ONLY to allow changes."


class UnsupportedByServer(_Failure):
    code = "UNSUPPORTED_BY_SERVER"
    category = ErrorCategory.UPSTREAM
    default_recovery = "This Sentry server does not offer this capability; use the Sentry web UI for it."


class AuthFailed(SentryMonitorError):
    code = "AUTH_FAILED"
    category = ErrorCategory.AUTHENTICATION
    default_recovery = (
        "Sentry rejected the token: check SENTRY_AUTH_TOKEN is a current user auth token (sntryu_...) or an "
        "internal-integration token for SENTRY_URL; org auth tokens (sntrys_...) cannot read issues."
    )


class NotAuthenticated(SentryMonitorError):
    """A signed-in user of the team server whose Sentry sign-in has ended (expired, revoked, not renewable)."""

    code = "NOT_AUTHENTICATED"
    category = ErrorCategory.AUTHENTICATION
    default_recovery = (
        "Your Sentry sign-in on this server has ended and was removed: sign in again (details.sign_in). Your MCP "
        "client asks you to on its next request, or reconnect it; side_effects lists anything changed before it ended."
    )


class ConfigurationError(SentryMonitorError):
    category = ErrorCategory.CONFIGURATION


class NotConfigured(ConfigurationError):
    code = "NOT_CONFIGURED"
    default_recovery = (
        'Set SENTRY_AUTH_TOKEN in the server\'s environment (for Claude Desktop: the "env" of its entry) to '
        "a Sentry auth token with scopes org:read project:read event:read (and event:write to change issues), "
        "then restart the server."
    )


class InvalidConfiguration(ConfigurationError):
    code = "INVALID_CONFIGURATION"
    default_recovery = "Fix the variable named in details.variable and restart the server."


class OrganizationAmbiguous(ConfigurationError):
    code = "ORGANIZATION_AMBIGUOUS"
    default_recovery = "Set SENTRY_ORG (or --org) to one of the organizations in details.organizations."


class TransientError(SentryMonitorError):
    retryable = True


class RateLimited(TransientError):
    code = "RATE_LIMITED"
    category = ErrorCategory.RATE_LIMIT
    default_recovery = "Sentry is rate-limiting this token: wait details.retry_after_s seconds, then call again."


class OperationTimeout(TransientError):
    code = "TIMEOUT"
    category = ErrorCategory.TIMEOUT
    default_recovery = (
        "Sentry did not answer in time: call again, ask for less (smaller limit or period), or raise "
        "SENTRY_MONITOR_TIMEOUT."
    )


class NetworkError(TransientError):
    code = "NETWORK_ERROR"
    category = ErrorCategory.NETWORK
    default_recovery = "Sentry could not be reached: check SENTRY_URL and the network (proxy, VPN), then call again."


class SentryUnavailable(TransientError):
    code = "SENTRY_UNAVAILABLE"
    category = ErrorCategory.UPSTREAM
    default_recovery = (
        "Sentry answered with a server error: call again in a minute; check status.sentry.io for sentry.io."
    )


class CallerBusy(TransientError):
    """A caller of the HTTP server has as many calls in flight as it may: this server's limit, not Sentry's."""

    code = "TOO_MANY_CALLS"
    category = ErrorCategory.RATE_LIMIT
    default_recovery = (
        "You have as many calls running on this server as it allows one caller (details.limit, "
        "SENTRY_MONITOR_CALLER_CONCURRENCY): wait for one to finish, then call again; nothing was sent to Sentry."
    )


class SharedStateUnavailable(SentryMonitorError):
    """The team server's Redis (SENTRY_MONITOR_REDIS_URL) did not answer: this server's fault, not Sentry's.

    Retryable, but not a TransientError: the Sentry request loop must not retry it (nothing was sent to Sentry).
    """

    code = "SHARED_STATE_UNAVAILABLE"
    category = ErrorCategory.NETWORK
    retryable = True
    default_recovery = (
        "This team server cannot reach the Redis its replicas share (SENTRY_MONITOR_REDIS_URL): call again in a "
        "few seconds; if it persists, tell the server's operator. Nothing was sent to Sentry after this failed."
    )


class BadUpstreamResponse(SentryMonitorError):
    code = "BAD_UPSTREAM_RESPONSE"
    category = ErrorCategory.UPSTREAM
    default_recovery = (
        "Sentry's answer could not be read: check SENTRY_URL is the Sentry base URL (e.g. https://sentry.io "
        "or https://sentry.example.com), not a page behind a proxy or login."
    )


class ResponseTooLarge(SentryMonitorError):
    code = "RESPONSE_TOO_LARGE"
    category = ErrorCategory.UPSTREAM
    default_recovery = "Ask for less (a smaller limit), or raise SENTRY_MONITOR_MAX_RESPONSE_BYTES."
