"""`sentry-error-monitor sign-ins`: who is signed in to the team server, and ending a sign-in.

    sentry-error-monitor sign-ins [list]            every sign-in: id, user, client, access, since, last used
    sentry-error-monitor sign-ins revoke WHO        end the sign-ins of WHO (a sign-in id, Sentry user id or email)
    sentry-error-monitor sign-ins new-key           print a new key for SENTRY_MONITOR_SECRET_KEY
    sentry-error-monitor sign-ins rotate-key        re-encrypt every stored Sentry token with the first key

It reads the server's store: the Redis its replicas share when SENTRY_MONITOR_REDIS_URL (or --redis-url) is set,
else SENTRY_MONITOR_STATE_FILE (or --state-file); a revoked sign-in's tokens stop working at its next request, on
every replica. Nothing it prints is a secret.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import anyio

from ...base.errors import InvalidConfiguration, SharedStateUnavailable
from ..replicas.connection import SharedRedis
from ..replicas.records import RedisRecords
from ..settings import redis_url_setting
from .signins import SignIn, SignIns
from .store import Records, SignInStore, default_path
from .vault import VARIABLE, Vault, new_key


def sign_ins_command(
    argv: Sequence[str], environ: Mapping[str, str] | None = None, stdout: TextIO | None = None
) -> int:
    env = dict(os.environ if environ is None else environ)
    out = stdout or sys.stdout
    parser = argparse.ArgumentParser(prog="sentry-error-monitor sign-ins", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", default="list", choices=["list", "revoke", "new-key", "rotate-key"])
    parser.add_argument("who", nargs="?", help="revoke: a sign-in id, a Sentry user id or an email")
    parser.add_argument("--state-file", default=env.get("SENTRY_MONITOR_STATE_FILE") or None)
    parser.add_argument("--redis-url", default=env.get("SENTRY_MONITOR_REDIS_URL") or None)
    args = parser.parse_args(list(argv))
    if args.action == "revoke" and not args.who:
        parser.error("revoke needs WHO: a sign-in id, a Sentry user id or an email")
    if args.action == "new-key":
        out.write(new_key() + "\n")
        return 0
    try:
        vault = Vault(env.get(VARIABLE)) if args.action == "rotate-key" else None
        redis_url = redis_url_setting(args.redis_url, "--redis-url" if args.redis_url else "SENTRY_MONITOR_REDIS_URL")
    except InvalidConfiguration as exc:
        sys.stderr.write(f"sign-ins: {exc.message}\n")
        return 2
    if redis_url is None:
        path = Path(args.state_file) if args.state_file else default_path(env)
        if not path.exists():
            sys.stderr.write(f"sign-ins: no store at {path} (SENTRY_MONITOR_STATE_FILE): nobody has signed in.\n")
            return 1
    try:
        return anyio.run(_act, args, path if redis_url is None else redis_url, vault, out)
    except SharedStateUnavailable as exc:
        sys.stderr.write(f"sign-ins: {exc.message} (SENTRY_MONITOR_REDIS_URL)\n")
        return 1
    except _NoSignIn as exc:
        sys.stderr.write(f"sign-ins: no sign-in of {exc.args[0]!r}\n")
        return 1


class _NoSignIn(Exception):
    pass


async def _act(args: argparse.Namespace, state: Path | str, vault: Vault | None, out: TextIO) -> int:
    """`state`: the SQLite file, or Redis's URL."""
    shared = SharedRedis(state) if isinstance(state, str) else None
    store: Records = RedisRecords(shared) if shared is not None else SignInStore(state)
    signins = SignIns(store, vault)  # list and revoke never decrypt: no key needed
    try:
        if args.action == "list":
            _list(await signins.all(), out)
        elif args.action == "revoke":
            found = await signins.of_user(args.who)
            for signin in found:
                await signins.remove(signin.id)
                out.write(f"revoked {signin.id}: {signin.user.label} with {signin.client_name}\n")
            if not found:
                raise _NoSignIn(args.who)
        else:
            done, unreadable = await signins.rotate_keys()
            out.write(f"re-encrypted {done} sign-in(s) with the first key; {unreadable} no key could read\n")
    finally:
        await store.close()
        if shared is not None:
            await shared.aclose()
    return 0


def _list(signins: list[SignIn], out: TextIO) -> None:
    if not signins:
        out.write("nobody is signed in\n")
        return
    out.write(f"{len(signins)} sign-in(s):\n")
    for s in signins:
        access = "read-only" if s.read_only else "read and change"
        out.write(
            f"{s.id}  {s.user.label}  client {s.client_name!r}  {access}  org {s.org}  "
            f"since {_when(s.created_at)}  last used {_when(s.last_used_at)}\n"
        )


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
