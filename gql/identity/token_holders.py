"""A token stands for an account as the account is now. Its signature and expiry are checked
from the token alone; whether the account still exists, whether the token's session is still
signed in, and which roles the account holds come from the database: on every request (cached
for `recheck_seconds`) and, on an open WebSocket, every `recheck_seconds` while it is open. A
deleted account's or a signed-out session's token is refused (HTTP 401, sockets closed with
4403); a revoked role stops counting within that time, a granted one starts."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, OrderedDict
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from gql.identity.auth import Identity, InvalidToken

MAX_CACHED = 10_000


@dataclasses.dataclass(frozen=True)
class AccountState:
    active: bool
    roles: frozenset[str]


def key_identity(row: asyncpg.Record, key_hash: bytes) -> Identity | str:
    """A row of api_private.key_identity: the identity the key stands for, or why it is refused."""
    if row["refused"]:
        return str(row["refused"])
    limited = row["business_ids"]
    return Identity(user_id=row["user_id"], roles=frozenset(row["roles"]), api_key_id=row["key_id"],
                    scopes=frozenset(row["scopes"]), key_hash=key_hash, expires_at=row["expires_at"],
                    business_ids=tuple(limited) if limited is not None else None)


class KeyRateLimited(Exception):
    """An API key sent more requests than its rate allows (HTTP 429)."""


class TokenHolders:
    def __init__(self, pool: asyncpg.Pool, recheck_seconds: float, acquire_timeout: float,
                 key_requests_per_minute: int = 600) -> None:
        self._pool = pool
        self.recheck_seconds = recheck_seconds
        self._acquire_timeout = acquire_timeout
        self._known: OrderedDict[tuple[UUID, UUID | None], tuple[float, AccountState]] = OrderedDict()
        self._keys: OrderedDict[bytes, tuple[float, Identity | str]] = OrderedDict()
        self._uses: Counter[bytes] = Counter()
        self._buckets: dict[bytes, tuple[float, float]] = {}
        self.key_rate = key_requests_per_minute / 60.0

    async def current(self, identity: Identity) -> Identity:
        """`identity` with the account's current roles; raises InvalidToken when the account
        is gone or the token's session signed out. An API key is looked up here: the user it
        acts as, within its scopes (KeyRateLimited beyond its rate)."""
        if identity.key_hash is not None:
            return await self._key(identity.key_hash, count=identity.user_id is None)
        if identity.user_id is None:
            return identity
        state = await self._state(identity.user_id, identity.session_id)
        if not state.active:
            raise InvalidToken("the account no longer exists" if identity.session_id is None
                               else "the account no longer exists or this session has ended; sign in again")
        return dataclasses.replace(identity, roles=state.roles)

    def forget(self, user_id: UUID) -> None:
        """This process ended sessions or keys of the account: check them again at once."""
        for key in [k for k in self._known if k[0] == user_id]:
            del self._known[key]
        for secret in [s for s, (_, found) in self._keys.items()
                       if isinstance(found, Identity) and found.user_id == user_id]:
            del self._keys[secret]

    async def _key(self, key_hash: bytes, *, count: bool) -> Identity:
        """A request made with this key (`count`: a new request, not a socket's recheck)."""
        now = time.monotonic()
        known = self._keys.get(key_hash)
        if known is None or now - known[0] >= self.recheck_seconds:
            uses = self._uses.pop(key_hash, 0)
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                row = await conn.fetchrow("select * from api_private.key_identity($1, $2)", key_hash, uses)
            assert row is not None
            known = (now, key_identity(row, key_hash))
            self._keys[key_hash] = known
            self._keys.move_to_end(key_hash)
            while len(self._keys) > MAX_CACHED:
                self._keys.popitem(last=False)
        if isinstance(known[1], str):
            raise InvalidToken(known[1])
        expires = known[1].expires_at  # (the cached identity must not outlive the key)
        if expires is not None and expires <= datetime.now(UTC):
            raise InvalidToken("the API key has expired")
        if count:  # (only keys that exist get a bucket and a count: made-up ones cannot grow them)
            self._take(key_hash, now)
            self._uses[key_hash] += 1
        return known[1]

    def _take(self, key_hash: bytes, now: float) -> None:
        """A token bucket per key in this process: the rate a minute, a minute's worth at once."""
        capacity = self.key_rate * 60
        tokens, since = self._buckets.get(key_hash, (capacity, now))
        tokens = min(capacity, tokens + (now - since) * self.key_rate)
        self._buckets.pop(key_hash, None)  # (re-inserted last: the oldest go first)
        while len(self._buckets) >= MAX_CACHED:
            del self._buckets[next(iter(self._buckets))]
        if tokens < 1:
            self._buckets[key_hash] = (tokens, now)
            raise KeyRateLimited()
        self._buckets[key_hash] = (tokens - 1, now)

    async def _state(self, user_id: UUID, session_id: UUID | None) -> AccountState:
        now = time.monotonic()
        key = (user_id, session_id)
        known = self._known.get(key)
        if known is not None and now - known[0] < self.recheck_seconds:
            return known[1]
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            row = await conn.fetchrow("select * from api_private.account_state($1, $2)", user_id, session_id)
        assert row is not None
        state = AccountState(active=row["active"], roles=frozenset(row["roles"]))
        self._known[key] = (now, state)
        self._known.move_to_end(key)
        while len(self._known) > MAX_CACHED:
            self._known.popitem(last=False)
        return state
