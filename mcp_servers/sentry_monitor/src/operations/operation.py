"""What an operation is: everything about one tool, declared once.

An operation module builds one `Operation`: its name, title, a description written for a model, its
parameter and result models, its annotations and scopes, its handler and its text renderer. The
registry collects them; the MCP server and the Python module API are both generated from it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

from mcp_servers.framework.contracts import SideEffect

from ..base.config import Settings
from ..base.errors import BadUpstreamResponse, NotFound, ResponseTooLarge, SentryMonitorError, TransientError
from ..sentry import SentryApi

logger = logging.getLogger("sentry_monitor")
P = TypeVar("P", bound=BaseModel)
Progress = Callable[[float, "float | None", "str | None"], Awaitable[None]]
"""`(done, total, message)`: MCP progress for the call; the module API's default does nothing."""


async def no_progress(done: float, total: float | None, message: str | None) -> None:
    """Progress goes nowhere (the Python API, or an MCP client that sent no progress token)."""


R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
# Failures an operation can do without for one of its several requests: it says what is missing instead.
DEGRADABLE: tuple[type[SentryMonitorError], ...] = (TransientError, BadUpstreamResponse, ResponseTooLarge)


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic would read true as 1
        raise ValueError("must be a number, not true/false")
    return value


Count = Annotated[int, BeforeValidator(_not_a_boolean)]
"""A whole-number parameter: 5 and "5" are accepted, true/false and 5.5 are not."""
Number = Annotated[float, BeforeValidator(_not_a_boolean)]
"""A real-number parameter: 2.5, 3 and "3" are accepted, true/false are not."""


class Parameters(BaseModel):
    """Base of every parameter model: unknown fields are refused, numbers accepted as id strings."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)


@dataclass
class OperationContext:
    """What a handler gets besides its parameters: Sentry, the settings, and where to report."""

    api: SentryApi
    warnings: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    side_effects: list[SideEffect] = field(default_factory=list)
    partial: bool = False
    progress: Progress = no_progress

    def __post_init__(self) -> None:
        self.api.on_warning = self.warn  # what the server could not give is said in the result

    @property
    def settings(self) -> Settings:
        return self.api.settings

    def warn(self, message: str, *, partial: bool = False) -> None:
        """Say what is missing or was cut; `partial` makes the result a partial_success."""
        self.warnings.append(message)
        self.partial = self.partial or partial

    def without(
        self, outcome: T | Exception, what: str, *, also: tuple[type[SentryMonitorError], ...] = ()
    ) -> T | None:
        """The outcome of one of several requests: its result; None and a warning (partial) when it failed
        transiently, answered badly, or failed in one of the `also` ways; any other failure is raised."""
        if isinstance(outcome, SentryMonitorError) and isinstance(outcome, DEGRADABLE + also):
            if isinstance(outcome, NotFound):  # the project was found already: the endpoint is what is missing
                self.warn(
                    f"{what} left out: this server answered 404 (it lacks this endpoint or its data).", partial=True
                )
            else:
                self.warn(f"{what} left out: {outcome.code}: {outcome.message}", partial=True)
            return None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def recommend(self, message: str) -> None:
        self.recommendations.append(message)

    async def report(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Tell the caller how far a call of several requests has got; a failure to tell never fails the call."""
        try:
            await self.progress(done, total, message)
        except Exception:  # a client that went away, a closed stream: the operation goes on
            logger.debug("progress notification not sent", exc_info=True)


@dataclass
class Steps:
    """Finished requests of an operation, told as progress: `done` of `total` (None while not yet known)."""

    ctx: OperationContext
    total: int | None = None
    done: int = 0

    async def track(self, awaitable: Awaitable[T], message: str) -> T:
        """Await `awaitable`; once it succeeds, report one more step done with `message`."""
        result = await awaitable
        self.done += 1
        total = max(self.total, self.done) if self.total is not None else None
        await self.ctx.report(self.done, total, message)
        return result


@dataclass(frozen=True)
class Operation(Generic[P, R]):
    name: str
    title: str
    description: str
    params: type[P]
    result: type[R]
    handler: Callable[[OperationContext, P], Awaitable[R]]
    render: Callable[[R], str]
    scopes: tuple[str, ...]
    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True
    # The result's list that a cut to the result budget shortens first (see budget.py), and how a caller sees
    # what a cut left out when that list has no cursor.
    main_list: str | None = None
    cut_hint: str = "Narrow the call to see them."

    async def run(self, context: OperationContext, raw: P) -> R:
        return await self.handler(context, raw)

    def render_data(self, data: dict[str, Any]) -> str:
        return self.render(self.result.model_validate(data))
