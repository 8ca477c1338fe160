"""Sentry tokens at rest: encrypted with Fernet (the `cryptography` package), under keys that can be rotated.

`SENTRY_MONITOR_SECRET_KEY` holds one or more comma-separated Fernet keys: the first encrypts, all decrypt
(MultiFernet). To rotate: put a new key first, keep the old one after it, run `sentry-error-monitor sign-ins
rotate-key` (re-encrypts every stored grant with the first key), then drop the old key.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ...base.errors import InvalidConfiguration

VARIABLE = "SENTRY_MONITOR_SECRET_KEY"


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class Vault:
    def __init__(self, keys: str | None) -> None:
        parts = [part.strip() for part in (keys or "").split(",") if part.strip()]
        if not parts:
            raise InvalidConfiguration(
                f"{VARIABLE} is not set: sign-ins keep users' Sentry tokens encrypted with it. Make one with "
                "`sentry-error-monitor sign-ins new-key` and set it.",
                variable=VARIABLE,
            )
        fernets = []
        for index, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                # Never echo the value: it is a secret, or a token pasted by mistake.
                raise InvalidConfiguration(
                    f"{VARIABLE}: key {index} of {len(parts)} is not a Fernet key (32 url-safe base64 bytes); make "
                    "one with `sentry-error-monitor sign-ins new-key`.",
                    variable=VARIABLE,
                ) from None
        self._fernet = MultiFernet(fernets)

    def seal(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> dict[str, Any] | None:
        """The value, or None when no key decrypts it (a key removed too soon, or a tampered record)."""
        try:
            return dict(json.loads(self._fernet.decrypt(sealed.encode("ascii"))))
        except (InvalidToken, ValueError):
            return None

    def rotate(self, sealed: str) -> str:
        """Re-encrypted with the first key (raises InvalidToken when no key decrypts it)."""
        return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
