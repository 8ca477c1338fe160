"""Everything that speaks HTTP to a Sentry-compatible server: the client and its connection pool, routes and
the fallbacks between server kinds, retry and rate gate, answers mapped to errors, Link paging, parsed models
and identifiers. Imports only `base/` and the framework; knows nothing of tools, results or MCP."""

from .api import SentryApi
from .client import Params, SentryClient
from .responses import ApiResponse

__all__ = ["ApiResponse", "Params", "SentryApi", "SentryClient"]
