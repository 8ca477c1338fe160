"""JSON Schemas for the MCP tools, from the registry's pydantic models.

`inputSchema` is the parameter model's schema; `outputSchema` is the ModuleOutput envelope with `data`
typed as the operation's result model (or null on failure). Every tool's schema travels in `tools/list`
and so costs the model's context, so they are written compactly without changing what they accept:
generated titles are dropped, `anyOf: [{type: T}, {type: null}]` becomes `type: [T, "null"]`, and the
envelope every tool shares (status, error, side effects, metadata) is a short hand-written schema that
names the fields a model acts on and accepts everything `ModuleOutput` can hold (a test checks both), and
`data` lists the result's fields one level deep. Full shapes are written once, in the README.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.framework.contracts import ModuleStatus

from .operations.operation import Operation

_STRINGS = {"type": "array", "items": {"type": "string"}}
ENVELOPE: dict[str, Any] = {
    "status": {"enum": [status.value for status in ModuleStatus]},
    "error": {
        "type": ["object", "null"],
        "description": "On failure: code, message, recovery_suggestion, retryable, details.",
    },
    "warnings": _STRINGS,
    "recommendations": _STRINGS,
}
REQUIRED = ["status", "data", "error", "side_effects", "warnings", "recommendations"]
SIDE_EFFECTS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "kind": {"type": "string"},
            "target": {"type": "string"},
            "before": {"type": ["object", "null"]},
            "after": {"type": ["object", "null"]},
            "description": {"type": "string"},
        },
    },
}
NO_SIDE_EFFECTS = {"type": "array", "maxItems": 0}


def input_schema(operation: Operation[Any, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = _compact(operation.params.model_json_schema())
    schema.setdefault("required", [])
    return schema


def output_schema(operation: Operation[Any, Any]) -> dict[str, Any]:
    """The envelope with `data` as the result's own fields, each with its type and description; a field that
    is an object (or a list of objects) is typed, not spelled out: the README documents every shape, and
    every result's text leads with what matters."""
    data: dict[str, Any] = _compact(operation.result.model_json_schema())
    definitions = data.pop("$defs", {})
    for key in ("additionalProperties", "required"):
        data.pop(key, None)
    data["properties"] = {
        name: {**_outline(field, definitions, depth=0), **_annotations(field)}
        for name, field in data.get("properties", {}).items()
    }
    properties = {
        **ENVELOPE,
        "data": {"anyOf": [data, {"type": "null"}]},
        "side_effects": NO_SIDE_EFFECTS if operation.read_only else SIDE_EFFECTS,
    }
    return {"type": "object", "properties": properties, "required": REQUIRED}


def _annotations(field: dict[str, Any]) -> dict[str, Any]:
    """What a result field's schema keeps besides its type: its allowed values. Its description stays in the README:
    clients hand a model the tool's description and input schema, not its output schema."""
    return {key: value for key, value in field.items() if key in ("enum", "const")}


def _outline(node: dict[str, Any], definitions: dict[str, Any], depth: int) -> dict[str, Any]:
    """`node`'s type; an object `depth` levels down or less with its field names and their types."""
    if "$ref" in node:
        target = definitions.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
        if depth <= 0 or "properties" not in target:
            return {"type": "object"} if "enum" not in target else {"enum": target["enum"]}
        fields = {name: _outline(field, definitions, depth - 1) for name, field in target["properties"].items()}
        return {"type": "object", "properties": fields}
    if "anyOf" in node:
        options = [_outline(option, definitions, depth) for option in node["anyOf"]]
        real = [option for option in options if option != {"type": "null"}]
        if len(real) == 1 and len(options) == 2:
            return {**real[0], "type": [real[0].get("type", "object"), "null"]} if "type" in real[0] else real[0]
        return {"anyOf": options}
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        return {"type": "array", "items": _outline(node["items"], definitions, depth)}
    if "type" in node:
        return {"type": node["type"]}
    return {}


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
        if isinstance(other.get("type"), str) and set(other) - {"type"} <= _KEYWORDS_OF.get(other["type"], set()):
            # `maxLength` and the like constrain only values of their own type, so null still passes them.
            del compacted["anyOf"]
            limits = {key: value for key, value in other.items() if key != "type"}
            compacted = {"type": [other["type"], "null"], **limits, **compacted}
            if compacted.get("default", "") is None:  # an optional field's absence already means null
                del compacted["default"]
    return compacted


# The JSON Schema keywords that apply to values of one type only (and so let any other value through).
_KEYWORDS_OF: dict[str, set[str]] = {
    "string": {"maxLength", "minLength", "pattern", "format"},
    "integer": {"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"},
    "number": {"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"},
    "array": {"items", "maxItems", "minItems", "uniqueItems"},
}
