"""JSON Schemas for the MCP tools, from the registry's pydantic models.

`inputSchema` is the parameter model's schema; `outputSchema` is the ModuleOutput schema with `data`
typed as the operation's result model (or null on failure). Generated titles are dropped: they cost
context and say nothing the property names do not.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from mcp_servers.framework.contracts import ModuleOutput

from .operation import Operation


def input_schema(operation: Operation[Any, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = _without_titles(operation.params.model_json_schema())
    schema.setdefault("required", [])
    return schema


def output_schema(operation: Operation[Any, Any]) -> dict[str, Any]:
    data_type: Any = operation.result | None
    model: type[BaseModel] = create_model(
        f"{operation.result.__name__}Output",
        __base__=ModuleOutput,
        data=(data_type, None),
    )
    schema: dict[str, Any] = _without_titles(model.model_json_schema())
    return schema


def _without_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _without_titles(value)
            for key, value in node.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node
