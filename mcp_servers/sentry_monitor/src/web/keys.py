"""API keys for service mode: the server keeps only their SHA-256 digests, and knows a caller by a key id.

A key id is the first 12 hex digits of the key's digest: enough to tell keys apart in the access log and
metrics, and nothing an attacker can use (the digest of a random key does not give the key).
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from typing import TextIO

from mcp.server.auth.provider import AccessToken

from .signin.provider import SCOPES

KEY_ID_DIGITS = 12


def digest_of(key: str) -> str:
    """`sha256:<hex>` of the key's UTF-8 bytes: what SENTRY_MONITOR_API_KEYS lists."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id(digest: str) -> str:
    return "key:" + digest.removeprefix("sha256:")[:KEY_ID_DIGITS]


class ApiKeyVerifier:
    """The SDK's TokenVerifier for service mode: a bearer token is good when its digest is listed."""

    def __init__(self, digests: frozenset[str]) -> None:
        self._digests = tuple(sorted(digests))

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = digest_of(token)
        # Compare with every digest, in constant time each, so the time taken says nothing about near misses.
        matches = [digest for digest in self._digests if hmac.compare_digest(presented, digest)]
        if not matches:
            return None
        return AccessToken(token=matches[0], client_id=key_id(matches[0]), scopes=list(SCOPES))


def hash_key_command(stdin: TextIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`sentry-error-monitor hash-key`: read a key on stdin (a trailing newline is not part of it), print its digest."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    text = stdin.read()
    key = text.removesuffix("\r\n") if text.endswith("\r\n") else text.removesuffix("\n")
    if not key or key != key.strip():
        stderr.write('hash-key: give the key on stdin, without spaces around it (e.g. `printf %s "$KEY" | ...`).\n')
        return 2
    stdout.write(digest_of(key) + "\n")
    return 0
