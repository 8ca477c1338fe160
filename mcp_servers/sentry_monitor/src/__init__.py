"""The Sentry Error Monitor, in layers; imports run one way, top to bottom (tests/unit/test_layers.py):

0. `web/`: the team server (MCP over streamable HTTP) around the surface;
1. the surface: `server` (MCP), `processor` (the Python module API), `check`, `lifecycle`, `prompts`, `schemas`;
2. `operations/`: one file per tool, the registry, paging, the operation context;
3. `analysis/` (pattern and health rules) and `shared/` (result shapes, text helpers);
4. `sentry/`: everything that speaks HTTP to Sentry;
5. `base/`: settings and errors;
6. `mcp_servers.framework.contracts`.
"""
