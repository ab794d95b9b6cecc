"""The ASGI application: GraphQL over HTTP and WebSocket, GraphiQL, health."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gql.context import Context
from gql.database import RequestDatabase, create_pool
from gql.loaders import Loaders
from gql.schema import build_schema
from gql.settings import Settings

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request context."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(
            build_schema(debug_sql=settings.debug_sql),
            graphql_ide="graphiql",
            # The legacy graphql-ws subprotocol has no connection-init timeout: not offered.
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            **kwargs,
        )
        self.pool: asyncpg.Pool | None = None

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        assert self.pool is not None, "the pool is created by the app's lifespan"
        db = RequestDatabase(self.pool)
        return Context(request=request, db=db, loaders=Loaders(db))


def create_app(settings: Settings, database_url: str) -> Starlette:
    graphql = GraphQLApp(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        graphql.pool = await create_pool(
            database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size)
        try:
            yield
        finally:
            await graphql.pool.close()

    async def health(_request: Request) -> JSONResponse:
        pool = graphql.pool
        started = time.perf_counter()
        try:
            if pool is None:
                raise ConnectionError("no pool")
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                async with pool.acquire() as conn:
                    await conn.fetchval("select 1")
        except Exception as exc:  # any failure means: not ready
            log.warning("health check failed: %r", exc)
            return JSONResponse({"status": "unavailable", "database": {"reachable": False}},
                                status_code=503)
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return JSONResponse({"status": "ok", "database": {"reachable": True,
                                                          "latencyMs": latency_ms}})

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` and worker processes: DATABASE_URL must be set."""
    settings = Settings.from_env()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (python -m gql serve sets it for workers)")
    return create_app(settings, settings.database_url)
