"""The Python module API: `SentryErrorMonitorModule().execute(ModuleInput(...))`, built from the registry.

`execute` never raises: every outcome, a bug included, comes back as a `ModuleOutput`. Used as an
async context manager the module keeps one HTTP connection pool for all calls; a bare `execute()`
opens and closes one for that call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import anyio
import httpx
from pydantic import ValidationError

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput, ModuleStatus, OutputMetadata

from .base.config import Settings, load_settings
from .base.errors import (
    BadUpstreamResponse,
    ConfigurationError,
    InvalidParameter,
    OperationTimeout,
    ReadOnly,
    SentryMonitorError,
    UnknownOperation,
)
from .operations.budget import fit
from .operations.operation import Operation, OperationContext, Progress, no_progress
from .operations.registry import OPERATIONS
from .sentry import SentryApi, SentryClient, models
from .sentry.capabilities import FormsMemory
from .sentry.client import Renewal, ResponseHook
from .sentry.rate_gate import RateGate
from .shared.results import Result
from .shared.text import tool_text

logger = logging.getLogger("sentry_monitor")


class SentryErrorMonitorModule:
    """Sentry triage operations as a Python API.

    Settings come from `settings`, else from `environ`/`flags` (default: the process environment). A
    missing or invalid configuration does not raise here: every call then answers NOT_CONFIGURED or
    INVALID_CONFIGURATION with the fix.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        flags: Mapping[str, str | None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings: Settings | None = settings
        self._settings_error: ConfigurationError | None = None
        if settings is None:
            try:
                self._settings = load_settings(environ, flags)
            except ConfigurationError as exc:
                self._settings_error = exc
        self._transport = transport
        self._on_response: ResponseHook | None = None
        self._gate: RateGate | None = None
        self._forms: FormsMemory | None = None
        self._client: SentryClient | None = None

    def on_response(self, hook: ResponseHook) -> None:
        """Hear the status of every answer Sentry gives from now on (the HTTP server's metrics)."""
        self._on_response = hook

    def share(self, *, gate: RateGate | None = None, forms: FormsMemory | None = None) -> None:
        """Pace requests with `gate` and keep the route forms learned in `forms` in the clients made from now on
        (call it before `async with`): the team server's replicas pass ones they share through Redis. None keeps
        the default (a gate of each client's own; forms kept in this process only)."""
        self._gate, self._forms = gate, forms

    @property
    def settings(self) -> Settings | None:
        return self._settings

    @property
    def structured(self) -> bool:
        """Whether results carry structuredContent (SENTRY_MONITOR_RESULT_FORMAT=structured, the default)."""
        return self._settings.structured if self._settings else True

    @property
    def operations(self) -> Mapping[str, Operation[Any, Any]]:
        """The operations this configuration offers: read-only mode leaves out those that change Sentry."""
        if self._settings is not None and self._settings.read_only:
            return {name: operation for name, operation in OPERATIONS.items() if operation.read_only}
        return OPERATIONS

    async def __aenter__(self) -> SentryErrorMonitorModule:
        if self._settings is not None and self._client is None:
            self._client = self._new_client(self._settings)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def execute(
        self,
        module_input: ModuleInput,
        *,
        progress: Progress = no_progress,
        structured: bool | None = None,
        client: SentryClient | None = None,
    ) -> ModuleOutput:
        """Run one operation; answers a ModuleOutput for every outcome and never raises.

        `progress(done, total, message)` hears how far an operation of several requests has got. `structured`
        says whether the caller reads the structured JSON (default: the configured result format), which the
        result budget measures. `client` runs the call with another token (a signed-in user's, see
        `client_for`) instead of the configured one.
        """
        started = time.perf_counter()
        context: OperationContext | None = None
        name = module_input.operation
        try:
            operation = OPERATIONS.get(name)
            if operation is None:
                raise UnknownOperation(f"There is no operation {name!r}.", available=sorted(OPERATIONS))
            if self._settings_error is not None:
                raise self._settings_error
            assert self._settings is not None
            if self._settings.read_only and not operation.read_only:
                raise ReadOnly(
                    f"{name} changes Sentry, and this server is read-only (SENTRY_MONITOR_READ_ONLY / --read-only): "
                    "nothing was sent."
                )
            params = _validate(operation, module_input.parameters)
            if client is not None:
                context = OperationContext(api=SentryApi(client), progress=progress)
                data, body = await self._run(operation, context, params, structured)
            elif self._client is not None:
                context = OperationContext(api=SentryApi(self._client), progress=progress)
                data, body = await self._run(operation, context, params, structured)
            else:
                async with self._new_client(self._settings) as client:
                    context = OperationContext(api=SentryApi(client), progress=progress)
                    data, body = await self._run(operation, context, params, structured)
        except SentryMonitorError as exc:
            return self._failed(name, exc, context, started, client)
        except Exception as exc:
            logger.exception("operation %s failed unexpectedly", name)
            bug = SentryMonitorError(f"Unexpected {type(exc).__name__} while running {name}.")
            return self._failed(name, bug, context, started, client)
        output = _succeeded(name, data, context, started)
        output._body = body
        return output

    def _new_client(self, settings: Settings) -> SentryClient:
        return SentryClient(
            settings, transport=self._transport, on_response=self._on_response, gate=self._gate, forms=self._forms
        )

    def client_for(
        self, auth_token: str, *, org: str | None = None, renew: Renewal | None = None, rate_scope: str | None = None
    ) -> SentryClient:
        """A client acting with `auth_token` (a signed-in user's) in `org` (default SENTRY_ORG) under this module's
        settings, sharing its connection pool, renewing its token with `renew` when Sentry refuses it, paced under
        the limits of `rate_scope` (`user:<id>`; default the token); only inside `async with module`."""
        if self._settings is None or self._client is None:
            raise RuntimeError("client_for needs a configured module entered with `async with`")
        settings = replace(self._settings, auth_token=auth_token, org=org or self._settings.org)
        return self._client.for_user(settings, renew, rate_scope)

    def render(self, module_output: ModuleOutput) -> str:
        """The compact text a model reads for this output, within the result budget."""
        operation = OPERATIONS.get(module_output.metadata.operation)
        body = module_output._body
        if body is None and operation is not None and module_output.data is not None:
            body = operation.render_data(module_output.data)
        return tool_text(module_output, body, self._budget)

    @property
    def _budget(self) -> int:
        return self._settings.max_result_chars if self._settings else Settings.max_result_chars

    async def _fit(
        self, operation: Operation[Any, Any], context: OperationContext, result: Result, structured: bool
    ) -> tuple[dict[str, Any], str]:
        """Cut `result` to the result budget as the model reads it: the text, and the structured JSON unless the
        server runs text-only. The cut is said in a warning; a moved cursor replaces the old one in next steps.
        Returns the result's data and text body, as measured."""
        budget = self._budget
        old_cursor = getattr(result, "next_cursor", None)
        measured: list[tuple[dict[str, Any], str]] = []

        def size(candidate: Result, warning: str | None) -> int:
            data, body = candidate.model_dump(mode="json"), operation.render(candidate)
            measured.append((data, body))
            trial = _succeeded(operation.name, data, context, time.perf_counter())
            if warning:
                trial.warnings = [*trial.warnings, warning]
            text = tool_text(trial, body, None)
            return max(len(text), len(compact_json(structured_content(trial))) if structured else 0)

        warning = await fit(result, budget, size, main_list=operation.main_list, hint=operation.cut_hint)
        if warning is None and measured:
            return measured[0]  # nothing cut: the result as first measured
        if warning is None:
            return result.model_dump(mode="json"), operation.render(result)
        context.warn(warning)
        new_cursor = getattr(result, "next_cursor", None)
        if old_cursor and new_cursor and new_cursor != old_cursor:
            context.recommendations = [step.replace(old_cursor, new_cursor) for step in context.recommendations]
        return result.model_dump(mode="json"), operation.render(result)

    async def _run(
        self, operation: Operation[Any, Any], context: OperationContext, params: Any, structured: bool | None
    ) -> tuple[dict[str, Any], str]:
        assert self._settings is not None
        if structured is None:
            structured = self._settings.structured
        timeout = self._settings.timeout
        try:
            with anyio.fail_after(timeout):
                result = await operation.run(context, params)
                return await self._fit(operation, context, result, structured)
        except ValidationError as exc:
            if exc.title not in models.UPSTREAM_MODELS:
                raise  # our own result did not validate: a bug, reported as such
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "the body"
            raise BadUpstreamResponse(
                f"Sentry's answer does not have the shape of a Sentry {exc.title}: {where}: {first['msg']}."
            ) from None
        except TimeoutError:
            raise OperationTimeout(
                f"{operation.name} did not finish within {timeout:g} s (SENTRY_MONITOR_TIMEOUT).", timeout_s=timeout
            ) from None

    def refused(self, name: str, exc: SentryMonitorError) -> ModuleOutput:
        """The output of a call refused before it ran (a server in front of the module, e.g. a caller's limit)."""
        return self._failed(name, exc, None, time.perf_counter())

    def _failed(
        self,
        name: str,
        exc: SentryMonitorError,
        context: OperationContext | None,
        started: float,
        client: SentryClient | None = None,
    ) -> ModuleOutput:
        secrets = tuple(s.auth_token for s in (self._settings, client.settings if client else None) if s is not None)
        return ModuleOutput(
            status=exc.status,
            error=exc.to_detail(secrets),
            side_effects=context.side_effects if context else [],
            warnings=context.warnings if context else [],
            metadata=_metadata(name, started, context),
        )


def _validate(operation: Operation[Any, Any], parameters: dict[str, Any]) -> Any:
    try:
        return operation.params.model_validate(parameters)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "parameters"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(operation.params.model_fields)
            message = f"Unknown parameter {field!r}; {operation.name} takes: {allowed}."
        elif first["type"] == "missing":
            message = f"{field} is required."
        else:
            message = f"{field}: {message}."
        raise InvalidParameter(field, message) from None


def _succeeded(name: str, data: dict[str, Any], context: OperationContext, started: float) -> ModuleOutput:
    return ModuleOutput(
        status=ModuleStatus.PARTIAL_SUCCESS if context.partial else ModuleStatus.SUCCESS,
        data=data,
        side_effects=context.side_effects,
        warnings=context.warnings,
        recommendations=context.recommendations,
        metadata=_metadata(name, started, context),
    )


def structured_content(output: ModuleOutput) -> dict[str, Any]:
    """What MCP sends as a result's structuredContent: the output's six envelope keys, without its metadata
    (which goes to the result's `_meta`, for the client rather than the model)."""
    return output.model_dump(mode="json", exclude={"metadata"})


def compact_json(value: Any) -> str:
    """JSON as a model reads it from a client: no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _metadata(name: str, started: float, context: OperationContext | None) -> OutputMetadata:
    return OutputMetadata(
        operation=name,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        api_calls=context.api.api_calls if context else 0,
    )
