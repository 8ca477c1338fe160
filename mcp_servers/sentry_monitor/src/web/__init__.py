"""The team server: MCP over streamable HTTP (`--transport http`), with API keys, checks, limits and health.

`settings` (where it listens, keys, limits), `keys` (API key digests), `gate` (a caller's limit, the result
format, metrics of each call), `middleware` (access log, drain), `metrics`, `app` (the ASGI app of the SDK's
pieces) and `serve` (uvicorn and signals). It may import the whole surface (server, processor) and below;
nothing below imports it.
"""
