"""A token stands for an account as the account is now. Its signature and expiry are checked
from the token alone; whether the account still exists, whether the token's session is still
signed in, and which roles the account holds come from the database: on every request (cached
for `recheck_seconds`) and, on an open WebSocket, every `recheck_seconds` while it is open. A
deleted account's or a signed-out session's token is refused (HTTP 401, sockets closed with
4403); a revoked role stops counting within that time, a granted one starts."""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from uuid import UUID

import asyncpg

from gql.auth import Identity, InvalidToken

MAX_CACHED = 10_000


@dataclasses.dataclass(frozen=True)
class AccountState:
    active: bool
    roles: frozenset[str]


class TokenHolders:
    def __init__(self, pool: asyncpg.Pool, recheck_seconds: float, acquire_timeout: float) -> None:
        self._pool = pool
        self.recheck_seconds = recheck_seconds
        self._acquire_timeout = acquire_timeout
        self._known: OrderedDict[tuple[UUID, UUID | None], tuple[float, AccountState]] = OrderedDict()

    async def current(self, identity: Identity) -> Identity:
        """`identity` with the account's current roles; raises InvalidToken when the account
        is gone or the token's session signed out."""
        if identity.user_id is None:
            return identity
        state = await self._state(identity.user_id, identity.session_id)
        if not state.active:
            raise InvalidToken("the account no longer exists" if identity.session_id is None
                               else "the account no longer exists or this session has ended; sign in again")
        return dataclasses.replace(identity, roles=state.roles)

    def forget(self, user_id: UUID) -> None:
        """This process ended sessions of the account: check them again at once."""
        for key in [k for k in self._known if k[0] == user_id]:
            del self._known[key]

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
