"""JSON Schemas for the MCP tools, from the registry's pydantic models.

`inputSchema` is the parameter model's schema; `outputSchema` is the ModuleOutput schema with `data`
typed as the operation's result model (or null on failure). Every tool's schema travels in `tools/list`
and so costs the model's context, so they are written compactly without changing what they accept:
generated titles are dropped, `anyOf: [{type: T}, {type: null}]` becomes `type: [T, "null"]`, and the
envelope every tool shares (status, error, side effects, metadata) keeps its structure but not its
descriptions, which are the same for every tool and documented once (README, Error codes).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from mcp_servers.framework.contracts import (
    ErrorCategory,
    ErrorDetail,
    ModuleOutput,
    ModuleStatus,
    OutputMetadata,
    SideEffect,
)

from .operation import Operation

ENVELOPE_DEFS = frozenset(
    model.__name__ for model in (ErrorCategory, ErrorDetail, ModuleStatus, OutputMetadata, SideEffect)
)


def input_schema(operation: Operation[Any, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = _compact(operation.params.model_json_schema())
    schema.setdefault("required", [])
    return schema


def output_schema(operation: Operation[Any, Any]) -> dict[str, Any]:
    data_type: Any = operation.result | None
    model: type[BaseModel] = create_model(
        f"{operation.result.__name__}Output",
        __base__=ModuleOutput,
        data=(data_type, None),
    )
    schema: dict[str, Any] = _compact(model.model_json_schema())
    definitions = schema.get("$defs", {})
    for name in ENVELOPE_DEFS & definitions.keys():
        definitions[name] = _without_descriptions(definitions[name])
    for name in ("status", "error", "side_effects", "warnings", "recommendations", "metadata"):
        schema["properties"][name] = _without_descriptions(schema["properties"][name])
    return schema


def _compact(node: Any) -> Any:
    """The same schema, shorter: no generated titles, nullable simple types as a type list."""
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    compacted = {key: _compact(value) for key, value in node.items() if not (key == "title" and isinstance(value, str))}
    options = compacted.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = options[0] if options[1] == {"type": "null"} else options[1]
        if set(other) == {"type"} and isinstance(other["type"], str):
            del compacted["anyOf"]
            compacted = {"type": [other["type"], "null"], **compacted}
    return compacted


def _without_descriptions(node: Any) -> Any:
    """The schema without annotations (`description`); property names, even "description", are kept."""
    if isinstance(node, list):
        return [_without_descriptions(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (
            {name: _without_descriptions(value) for name, value in value.items()}
            if key == "properties"
            else _without_descriptions(value)
        )
        for key, value in node.items()
        if key != "description"
    }
