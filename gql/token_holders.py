"""A token stands for an account as the account is now. Its signature and expiry are checked
from the token alone; whether the account still exists, and which roles it holds, come from
the database: on every request (cached for `recheck_seconds`) and, on an open WebSocket, every
`recheck_seconds` while it is open. A deleted account's token is refused (HTTP 401, sockets
closed with 4403); a revoked role stops counting within that time, a granted one starts."""

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
        self._known: OrderedDict[UUID, tuple[float, AccountState]] = OrderedDict()

    async def current(self, identity: Identity) -> Identity:
        """`identity` with the account's current roles; raises InvalidToken when the account
        is gone."""
        if identity.user_id is None:
            return identity
        state = await self._state(identity.user_id)
        if not state.active:
            raise InvalidToken("the account no longer exists")
        return dataclasses.replace(identity, roles=state.roles)

    async def _state(self, user_id: UUID) -> AccountState:
        now = time.monotonic()
        known = self._known.get(user_id)
        if known is not None and now - known[0] < self.recheck_seconds:
            return known[1]
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            row = await conn.fetchrow("select * from api_private.account_state($1)", user_id)
        assert row is not None
        state = AccountState(active=row["active"], roles=frozenset(row["roles"]))
        self._known[user_id] = (now, state)
        self._known.move_to_end(user_id)
        while len(self._known) > MAX_CACHED:
            self._known.popitem(last=False)
        return state
