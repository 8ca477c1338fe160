"""`python -m mcp_servers.sentry_monitor` and the `sentry-error-monitor` command: the MCP server.

stdio by default; `--transport http` serves the team server; `sentry-error-monitor hash-key` prints the
digest of an API key read on stdin; `sentry-error-monitor sign-ins` lists and revokes users' sign-ins.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from mcp_servers.sentry_monitor.src.base.config import OPTIONS
from mcp_servers.sentry_monitor.src.base.version import __version__
from mcp_servers.sentry_monitor.src.web.settings import HTTP_OPTIONS


def parse_flags(argv: Sequence[str] | None = None) -> dict[str, str | None]:
    """Flag values by option name; values are validated with the environment's in `load_settings`."""
    parser = argparse.ArgumentParser(
        prog="sentry-error-monitor",
        description="MCP server for triaging Sentry errors, over stdio or HTTP (--transport http). The token comes "
        "from SENTRY_AUTH_TOKEN only. `sentry-error-monitor hash-key` reads an API key on stdin and prints its digest.",
    )
    for option in (*OPTIONS, *HTTP_OPTIONS):
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
        default=os.environ.get("SENTRY_MONITOR_LOG_LEVEL") or None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="Log level for stderr (env SENTRY_MONITOR_LOG_LEVEL; default WARNING, and INFO over HTTP, which "
        "logs each request).",
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
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hash-key"]:
        from mcp_servers.sentry_monitor.src.web.keys import hash_key_command

        sys.exit(hash_key_command())
    if args[:1] == ["sign-ins"]:
        from mcp_servers.sentry_monitor.src.web.signin.command import sign_ins_command

        sys.exit(sign_ins_command(args[1:]))
    flags = parse_flags(args)
    log_level = flags.pop("log_level")
    check_only = bool(flags.pop("check"))
    from mcp_servers.sentry_monitor.src.base.errors import InvalidConfiguration
    from mcp_servers.sentry_monitor.src.server import configure_logging, run_stdio
    from mcp_servers.sentry_monitor.src.web.settings import transport_of

    try:
        transport = transport_of(flags=flags)
    except InvalidConfiguration as exc:
        sys.exit(f"sentry-error-monitor: {exc.message}")
    configure_logging(log_level or ("INFO" if transport == "http" else "WARNING"))
    if check_only:
        from mcp_servers.sentry_monitor.src.check import main as check

        sys.exit(check(flags))
    if transport == "http":
        from mcp_servers.sentry_monitor.src.web.serve import run_http

        sys.exit(run_http(flags))
    with contextlib.suppress(KeyboardInterrupt):
        run_stdio(flags)


if __name__ == "__main__":
    main()
