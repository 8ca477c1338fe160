"""The tools: one module per tool (its parameters, result, handler and text), the registry that collects
them (`registry.OPERATIONS`), what an operation is (`operation`), paging, and helpers shared by a few
tools (`_*.py`). Imports `analysis/`, `shared/`, `sentry/` and `base/`; never the surface (server,
module API) or MCP types."""
