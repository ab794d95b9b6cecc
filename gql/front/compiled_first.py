"""A JSON POST of a document that an earlier request validated and compiled is answered by
its one statement here, without Strawberry (gql/compiled/fast_path.py); anything else goes on
to the GraphQL app, whose CompiledReads extension compiles what it sees for the first time."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
from graphql import GraphQLSchema
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gql.compiled import fast_path
from gql.postgres.replica import ReplicaRouter
from gql.settings import Settings


class CompiledFirst:
    def __init__(self, app: ASGIApp, schema: GraphQLSchema, settings: Settings,
                 pool: Callable[[], asyncpg.Pool | None],
                 replica: Callable[[], ReplicaRouter | None]) -> None:
        self.app = app
        self.schema = schema
        self.settings = settings
        self.pool = pool
        self.replica = replica
        """The app's pool and replica router, made when it starts (its lifespan)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        body, pool = state.get("body"), self.pool()
        wanted = self.settings.compiled_reads and scope["method"] == "POST"
        if wanted and body is not None and pool is not None:
            fast = await fast_path.answer(body, self.schema, self.settings, pool, state,
                                          state.get("client_id"), Headers(scope=scope).get("accept"),
                                          self.replica(), state.get("read_after"))
            if fast is not None:
                await fast(scope, receive, send)
                return
        await self.app(scope, receive, send)
