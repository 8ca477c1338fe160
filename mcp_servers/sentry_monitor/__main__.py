"""`python -m mcp_servers.sentry_monitor` and the `sentry-error-monitor` command: the stdio MCP server."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from mcp_servers.sentry_monitor.src.base.config import OPTIONS
from mcp_servers.sentry_monitor.src.base.version import __version__


def parse_flags(argv: Sequence[str] | None = None) -> dict[str, str | None]:
    """Flag values by option name; values are validated with the environment's in `load_settings`."""
    parser = argparse.ArgumentParser(
        prog="sentry-error-monitor",
        description="MCP server (stdio) for triaging Sentry errors. The token comes from SENTRY_AUTH_TOKEN only.",
    )
    for option in OPTIONS:
        if option.flag is None:
            continue
        default = f" (default {option.default})" if option.default else ""
        if option.name == "read_only":
            parser.add_argument(
                option.flag,
                dest=option.name,
                action="store_const",
                const="true",
                help=f"{option.help} Env: {option.env}.",
            )
        else:
            parser.add_argument(
                option.flag, dest=option.name, metavar=option.env, help=f"{option.help} Env: {option.env}{default}."
            )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("SENTRY_MONITOR_LOG_LEVEL", "WARNING"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="Log level for stderr (env SENTRY_MONITOR_LOG_LEVEL, default WARNING).",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="Check the configuration against the configured Sentry (reachable, token, organization, scopes), "
        "print what to fix and exit 0 (ready) or 1.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    return {name: value for name, value in vars(args).items()}


def main(argv: Sequence[str] | None = None) -> None:
    flags = parse_flags(sys.argv[1:] if argv is None else argv)
    log_level = str(flags.pop("log_level"))
    check_only = bool(flags.pop("check"))
    from mcp_servers.sentry_monitor.src.server import configure_logging, run_stdio

    configure_logging(log_level)
    if check_only:
        from mcp_servers.sentry_monitor.src.check import main as check

        sys.exit(check(flags))
    with contextlib.suppress(KeyboardInterrupt):
        run_stdio(flags)


if __name__ == "__main__":
    main()
