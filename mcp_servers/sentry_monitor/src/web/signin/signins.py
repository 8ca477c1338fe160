"""Sign-ins: one per user and MCP client that signed in, holding the user's Sentry grant (encrypted).

A sign-in owns the server's tokens issued for it (`provider.py`), so removing it (sign-out, revocation, a grant
Sentry no longer honours) ends them all. It lives as long as its last refresh token: 30 days after the last
refresh.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.fernet import InvalidToken

from .sentry_oauth import SentryGrant, SentryUser
from .store import Records
from .vault import Vault

SIGNIN = "signin"
OWNED = ("access", "refresh", "code")  # the server's tokens and codes of a sign-in
REFRESH_TTL_S = 30 * 24 * 3600
SENTRY_OAUTH, API_TOKEN = "sentry-oauth", "api-token"  # how the user signed in


@dataclass(frozen=True)
class SignIn:
    id: str
    user: SentryUser
    client_id: str
    client_name: str
    read_only: bool
    kind: str
    org: str  # the organization its calls use
    created_at: float
    last_used_at: float

    @classmethod
    def from_record(cls, key: str, data: dict[str, Any]) -> SignIn:
        user = SentryUser(**data["user"])
        return cls(
            key, user, data["client_id"], data["client_name"], data["read_only"], data["kind"], data["org"],
            data["created_at"], data["last_used_at"],
        )  # fmt: skip


class SignIns:
    def __init__(self, store: Records, vault: Vault | None) -> None:
        """`vault` None: a reader that lists and removes sign-ins and never needs their grants (the command)."""
        self.store = store
        self._vault = vault

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            raise RuntimeError("this SignIns has no vault: it cannot read or write grants")
        return self._vault

    async def create(
        self,
        user: SentryUser,
        client: tuple[str, str],
        read_only: bool,
        kind: str,
        org: str,
        grant: SentryGrant,
    ) -> SignIn:
        """A new sign-in of `user` through `client` (its id and name)."""
        now = time.time()
        signin_id = "si_" + secrets.token_hex(12)
        record = {
            "user": asdict(user),
            "client_id": client[0],
            "client_name": client[1],
            "read_only": read_only,
            "kind": kind,
            "org": org,
            "created_at": now,
            "last_used_at": now,
            "grant": self.vault.seal(asdict(grant)),
        }
        await self.store.put(SIGNIN, signin_id, record, ttl=REFRESH_TTL_S, owner=signin_id)
        return SignIn.from_record(signin_id, record)

    async def get(self, signin_id: str) -> SignIn | None:
        record = await self.store.get(SIGNIN, signin_id)
        return SignIn.from_record(signin_id, record) if record else None

    async def grant(self, signin_id: str) -> SentryGrant | None:
        """The sign-in's Sentry grant, None when the sign-in is gone or no key decrypts its grant."""
        loaded = await self.load(signin_id)
        return loaded[1] if loaded else None

    async def load(self, signin_id: str) -> tuple[SignIn, SentryGrant | None] | None:
        """The sign-in and its grant (None when no key decrypts it) in one read; None when the sign-in is gone."""
        record = await self.store.get(SIGNIN, signin_id)
        if record is None:
            return None
        opened = self.vault.open(record["grant"])
        return SignIn.from_record(signin_id, record), SentryGrant.from_dict(opened) if opened else None

    async def save_grant(self, signin_id: str, grant: SentryGrant) -> bool:
        """Store a new grant (after a refresh), keeping the sign-in's expiry; False when it is gone."""
        return await self.store.merge(SIGNIN, signin_id, {"grant": self.vault.seal(asdict(grant))})

    async def extend(self, signin_id: str) -> bool:
        """Another 30 days (a new refresh token is issued for it); False when it is gone."""
        return await self.store.expire(SIGNIN, signin_id, REFRESH_TTL_S)

    async def touch(self, signin_id: str) -> None:
        await self.store.merge(SIGNIN, signin_id, {"last_used_at": time.time()})

    async def remove(self, signin_id: str) -> bool:
        """End a sign-in: its grant and every token and code of it."""
        await self.store.delete_owned(signin_id, OWNED)
        return await self.store.delete(SIGNIN, signin_id)

    async def all(self) -> list[SignIn]:
        return [SignIn.from_record(key, data) for key, data in await self.store.all(SIGNIN)]

    async def of_user(self, who: str) -> list[SignIn]:
        """The sign-ins of a user named by Sentry user id or email (case-insensitive), or the one of a sign-in id."""
        lowered = who.strip().lower()
        return [s for s in await self.all() if lowered in (s.id, s.user.id, s.user.email.lower())]

    async def rotate_keys(self) -> tuple[int, int]:
        """Re-encrypt every grant with the first key; returns (re-encrypted, unreadable)."""
        done = failed = 0
        for key, record in await self.store.all(SIGNIN):
            try:
                rotated = self.vault.rotate(record["grant"])
            except InvalidToken:
                failed += 1
                continue
            # unless a renewal stored a new grant meanwhile (already sealed with the first key)
            done += await self.store.merge(SIGNIN, key, {"grant": rotated}, unless={"grant": record["grant"]})
        return done, failed
