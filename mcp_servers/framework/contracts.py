"""The contracts every module speaks: what goes in, what comes out, how failures look.

Nothing here knows about Sentry. A module takes a `ModuleInput` (an operation name and its
parameters) and answers a `ModuleOutput`: a status, the operation's data as a JSON object, or an
`ErrorDetail` with a stable code and a concrete next step, plus what it changed (`side_effects`),
what it could not do (`warnings`) and what to do next (`recommendations`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

__all__ = [
    "ErrorCategory",
    "ErrorDetail",
    "Module",
    "ModuleInput",
    "ModuleOutput",
    "ModuleStatus",
    "OutputMetadata",
    "SideEffect",
]


class ModuleStatus(StrEnum):
    """How an operation ended.

    `failure`: the request was understood but cannot be done as asked (bad parameters, unknown
    object, missing permission). `error`: the system failed (network, upstream, configuration, bug).
    `partial_success`: a usable result with something missing, said in `warnings`.
    """

    SUCCESS = "success"
    PARTIAL_SUCCESS = "partial_success"
    FAILURE = "failure"
    ERROR = "error"


class ErrorCategory(StrEnum):
    VALIDATION = "validation"
    CONFIGURATION = "configuration"
    AUTHENTICATION = "authentication"
    AUTHORIZATION = "authorization"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    NETWORK = "network"
    UPSTREAM = "upstream"
    INTERNAL = "internal"


class ErrorDetail(BaseModel):
    """A failure as the caller sees it: a stable `code` and a concrete `recovery_suggestion`."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable SCREAMING_SNAKE error code.")
    message: str = Field(description="What went wrong, in one or two sentences.")
    category: ErrorCategory
    recovery_suggestion: str = Field(description="The next step that fixes or works around it.")
    retryable: bool = Field(default=False, description="True when the same call may succeed later.")
    details: dict[str, Any] = Field(default_factory=dict)


class SideEffect(BaseModel):
    """One change the operation made outside itself (e.g. an issue's status)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="What kind of change, e.g. 'issue_status_changed'.")
    target: str = Field(description="What was changed, e.g. 'issue:BACKEND-1'.")
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    description: str


class OutputMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: str
    duration_ms: float = Field(ge=0)
    api_calls: int = Field(ge=0, description="Upstream API requests made, retries included.")


class ModuleInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class ModuleOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ModuleStatus
    data: dict[str, Any] | None = Field(default=None, description="The operation's result; null on failure.")
    error: ErrorDetail | None = None
    side_effects: list[SideEffect] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    metadata: OutputMetadata
    # The text the module rendered `data` as, when it did (so rendering it again costs nothing); not serialized.
    _body: str | None = PrivateAttr(default=None)

    @property
    def ok(self) -> bool:
        """True for `success` and `partial_success`."""
        return self.status in (ModuleStatus.SUCCESS, ModuleStatus.PARTIAL_SUCCESS)


class Module(Protocol):
    """What every module offers: run one operation and answer a `ModuleOutput`, never raise."""

    async def execute(self, module_input: ModuleInput) -> ModuleOutput: ...
