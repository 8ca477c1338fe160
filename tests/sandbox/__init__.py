"""Tests of the local Sentry sandbox (mcp_servers.sentry_sandbox)."""
