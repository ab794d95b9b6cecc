"""The ASGI application: GraphQL over HTTP and WebSocket, GraphiQL, health, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from gql.compiled.extension import RawJSON
from gql.compiled.plans import PLANS
from gql.context import Context
from gql.database import create_pool
from gql.edge import http_streams
from gql.edge.client_ids import client_id_problem
from gql.edge.document_cache import DOCUMENTS
from gql.edge.graphiql import ASSETS_DIR, ASSETS_PATH, self_hosted
from gql.edge.graphql_http import GRAPHQL_RESPONSE, JSON, error_response, negotiate
from gql.edge.http_caching import FAILED, labelled_for_caches
from gql.edge.persisted_documents import DOCUMENT_ID, PersistedDocuments
from gql.edge.socket_credentials import socket_credentials
from gql.edge.websocket_protocol import TransportWSHandler
from gql.entities.columns import check_catalog
from gql.entities.tables import TABLES
from gql.front.body_check import BodyCheck
from gql.front.client_headers import ClientHeaders
from gql.front.compiled_first import CompiledFirst
from gql.front.credentials import Credentials
from gql.identity.auth import ANONYMOUS, InvalidToken, identity_from_authorization
from gql.identity.sealing import check_data_key
from gql.identity.token_holders import KeyRateLimited, TokenHolders
from gql.observability.logs import configure as configure_logging
from gql.observability.metrics import (
    OPERATION_NAMES,
    WEBSOCKETS,
    ProcessSampler,
    ResponseCounter,
    count_errors,
    leave,
    metrics_endpoint,
    observe_request,
)
from gql.observability.tracing import start_tracing, stop_tracing, traced, tracing_configured
from gql.postgres.maintenance import run_periodically
from gql.postgres.outage import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE
from gql.postgres.replica import ReplicaRouter, stop_watching
from gql.realtime.audiences import LiveFeed
from gql.realtime.feed import SharedViews
from gql.realtime.hub import ChangeHub
from gql.schema import build_schema
from gql.schema.webhook_selection import event_statement
from gql.settings import Settings
from gql.webhooks.delivery import WebhookWorker

log = logging.getLogger(__name__)
CODE_LAYER_RETRIES = 2

HEALTH_TIMEOUT_SECONDS = 2.0
MAX_SUBSCRIPTIONS_PER_CONNECTION = 50
MIN_SOCKET_RECHECK_SECONDS = 0.2
MAX_CONNECTIONS_PER_SOCKET = 2
"""Pool connections one WebSocket's operations and subscription events may hold at once."""
SUBSCRIPTIONS_OVER_HTTP = ("Subscriptions are served as streams: over WebSocket (graphql-transport-ws at "
                           "/graphql), or over HTTP with Accept: text/event-stream (graphql-sse) or "
                           "Accept: multipart/mixed;subscriptionSpec=1.0 (Apollo's multipart subscriptions).")


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request context and token checks."""

    graphql_transport_ws_handler_class = TransportWSHandler
    stream_transport_classes_by_protocol = http_streams.TRANSPORTS

    def __init__(self, settings: Settings, *, tracing: bool = False, **kwargs: Any) -> None:
        schema = build_schema(debug_sql=settings.debug_sql, tracing=tracing,
                              introspection=settings.introspection, max_batch=settings.limits.max_batch)
        self.core_schema = schema._schema  # for compiled reads (gql/compiled/fast_path.py)
        super().__init__(
            schema,
            graphql_ide="graphiql",
            # The legacy graphql-ws subprotocol has no connection-init timeout: not offered.
            # Over HTTP: graphql-sse (distinct connections) and Apollo's multipart subscriptions.
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL,
                                    MULTIPART_SUBSCRIPTION_PROTOCOL],
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            **kwargs,
        )
        self.settings = settings
        self.page = self_hosted(super().graphql_ide_html)
        self.pool: asyncpg.Pool | None = None
        self.hub: ChangeHub | None = None
        self.views: SharedViews | None = None
        self.live: LiveFeed | None = None
        self.replica: ReplicaRouter | None = None
        self.persisted: PersistedDocuments | None = None
        self.holders: TokenHolders | None = None
        self.front: ASGIApp = BodyCheck(
            Credentials(ClientHeaders(CompiledFirst(self._answer_graphql, self.core_schema, settings,
                                                    lambda: self.pool, lambda: self.replica)),
                        self._token_holders, settings.jwt_secret),
            settings.limits.max_body_bytes, settings.limits.max_batch)
        """The layers before GraphQL (gql/front)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            bounded = _bounded_messages(receive, send, self.settings.limits.max_body_bytes)
            WEBSOCKETS.inc()
            try:
                await super().__call__(scope, bounded, send)
            finally:
                WEBSOCKETS.dec()
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self._answer_http(scope, receive, send)
        finally:
            observe_request(scope.setdefault("state", {}), time.perf_counter() - started)

    async def _answer_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent = Request(scope)
        if sent.method == "GET":
            send = labelled_for_caches(sent, send, self.settings.get_max_age_seconds)
        await self.front(scope, receive, send)

    async def _answer_graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Inside the front layers: Strawberry, with our extensions and the interpreter."""
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:  # Strawberry's refusals, as GraphQL error documents
            wrong_method = exc.status_code == 405
            allow = {"Allow": "POST" if request.method == "GET" else "GET, POST"} if wrong_method else None
            code = "METHOD_NOT_ALLOWED" if wrong_method else "BAD_REQUEST"
            response = error_response(exc.status_code, exc.reason, accept=request.headers.get("accept"),
                                      headers=allow, code=code)
        await response(scope, receive, send)

    def _token_holders(self) -> TokenHolders:
        assert self.holders is not None, "made by the app's lifespan"
        return self.holders

    @property
    def subscription_count(self) -> int:
        """Change-feed subscriptions in this process: the live feed's members, and those
        interpreted per subscriber (the live feed's dispatcher follows the hub as one more)."""
        if self.hub is None:
            return 0
        return self.hub.subscriber_count + (self.live.member_count - 1 if self.live else 0)

    async def parse_http_body(self, request_adapter: Any) -> Any:
        """An `application/graphql` body is the document itself (operationName and variables
        may come in the query string). A registered document's id sent as `documentId` or
        `doc_id` (instead of the document) travels on in the extensions."""
        content_type = (request_adapter.content_type or "").split(";")[0].strip().lower()
        if request_adapter.method == "POST" and content_type == "application/graphql":
            params = self.parse_query_params(request_adapter.query_params)
            return GraphQLRequestData(query=(await request_adapter.get_body()).decode("utf-8"),
                                      variables=params.get("variables"),
                                      operation_name=params.get("operationName"),
                                      extensions=params.get("extensions"), protocol="http")
        parsed = await super().parse_http_body(request_adapter)
        operations = parsed if isinstance(parsed, list) else [parsed]
        if all(data.query for data in operations):
            return parsed
        raw = (request_adapter.query_params if request_adapter.method == "GET"
               else self.parse_json(await request_adapter.get_body()))
        for data, sent in zip(operations, raw if isinstance(parsed, list) else [raw], strict=True):
            document_id = sent.get("documentId") or sent.get("doc_id")
            if not data.query and isinstance(document_id, str):
                data.extensions = {**(data.extensions or {}), DOCUMENT_ID: document_id}
        return parsed

    async def execute_operation(self, request: Request, request_adapter: Any, request_data: Any,
                                context: Context, root_value: Any, sub_response: Response) -> Any:
        """Each operation's document first (a persisted document's, when a hash or id stands in
        its place). A batch (a JSON array body) runs one operation after another, in its order:
        its mutations apply in the order sent, and it holds one pool connection at a time."""
        if isinstance(request_data, list):
            return [await self._execute_one(request, request_adapter, sub_response, context, root_value, data)
                    for data in request_data]
        with_document = await self._with_document(request_data)
        if isinstance(with_document, PreExecutionError):
            return with_document
        return await super().execute_operation(request, request_adapter, with_document, context, root_value,
                                               sub_response)

    async def _execute_one(self, request: Request, request_adapter: Any, sub_response: Response,
                           context: Context, root_value: Any, request_data: Any) -> Any:
        with_document = await self._with_document(request_data)
        if isinstance(with_document, PreExecutionError):
            return with_document
        return await self.execute_single(request, request_adapter, sub_response, context, root_value,
                                         with_document)

    async def _with_document(self, request_data: GraphQLRequestData
                             ) -> GraphQLRequestData | PreExecutionError:
        if self.persisted is None:
            return request_data
        try:
            query = await self.persisted.document_for(request_data.query, request_data.extensions)
        except GraphQLError as refused:  # (not executed, so counted here)
            count_errors([refused])
            return PreExecutionError(data=None, errors=[refused])
        return dataclasses.replace(request_data, query=query)

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Response,
                             context: Context, root_value: Any, request_data: Any) -> Any:
        try:
            result = await super().execute_single(request, request_adapter, sub_response, context,
                                                  root_value, request_data)
            for _ in range(CODE_LAYER_RETRIES):
                if context.written_at is not None or not context.met_code_layer_change:
                    break
                # A deploy replaced the SQL code layer under this operation, which was rolled
                # back whole: again, on the new layer (tests/test_deploy.py; twice, as deploys
                # may follow each other within one request on PostgreSQL 15).
                context.met_code_layer_change = False
                context.after_code_layer_change = True
                log.info("a request met the SQL code layer being replaced; running it again")
                result = await super().execute_single(request, request_adapter, sub_response, context,
                                                      root_value, request_data)
            if context.written_at is not None:  # read-your-writes (gql/postgres/replica.py)
                sub_response.headers["X-Read-After"] = context.written_at
            return result
        except HTTPException as exc:
            cause = exc.__cause__
            if isinstance(cause, InvalidOperationTypeError):
                if cause.operation_type is OperationType.SUBSCRIPTION:
                    raise HTTPException(400, SUBSCRIPTIONS_OVER_HTTP) from exc
                if request_adapter.method == "GET":
                    raise HTTPException(405, "Only queries may be sent with GET; send mutations with POST.") \
                        from exc
            raise

    async def process_result(self, request: Request, result: Any) -> Any:
        """With graphql-response+json, a request that failed before execution has no `data`
        and status 400."""
        processed = await super().process_result(request, result)
        setattr(request.state, FAILED, bool(result.errors))
        sub_response: Response = request.state.sub_response
        if sub_response.media_type == GRAPHQL_RESPONSE and isinstance(result, PreExecutionError):
            processed.pop("data", None)
            sub_response.status_code = 400
        return processed

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL only for a browser asking for a page (text/html): a GET that carries a
        document or a persisted document's hash, or accepts anything (fetch's `*/*`), is a read."""
        params = request.query_params
        return (request.method == "GET" and not {"query", "extensions", "documentId", "doc_id"} & set(params)
                and "text/html" in request.headers.get("accept", ""))

    @property
    def graphql_ide_html(self) -> str:
        return self.page

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """Cross-origin handshakes (Strawberry admits same-origin and Origin-less ones): the
        same allowed origins as CORS."""
        return self.settings.allowed_origins.allows(origin)

    def encode_json(self, data: object) -> str | bytes:
        """A compiled read's data is PostgreSQL's JSON text, copied into the body unparsed (a
        batch's answers each so)."""
        if isinstance(data, list):
            return "[" + ",".join(_text(self.encode_json(item)) for item in data) + "]"
        if isinstance(data, dict) and isinstance(data.get("data"), RawJSON):
            rest = {key: value for key, value in data.items() if key != "data"}
            return '{"data":' + str(data["data"]) + ("," + json.dumps(rest)[1:] if rest else "}")
        encoded: str | bytes = super().encode_json(data)
        return encoded

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """A response whose errors say the database is unavailable is a 503 with Retry-After,
        so that clients and proxies retry it."""
        response = Response(self.encode_json(response_data), status_code=sub_response.status_code or 200,
                            media_type=sub_response.media_type or JSON)
        response.headers.raw.extend(sub_response.headers.raw)
        results = response_data if isinstance(response_data, list) else [response_data]
        if any(error.get("extensions", {}).get("code") == SERVICE_UNAVAILABLE
               for result in results for error in result.get("errors") or ()):
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        assert self.pool is not None, "the pool is created by the app's lifespan"
        if isinstance(request, Request):
            response.media_type = negotiate(request.headers.get("accept"))
            request.state.sub_response = response  # for process_result
            return Context(request=request, pool=self.pool, settings=self.settings,
                           identity=request.state.identity, hub=self.hub, views=self.views,
                           persisted=self.persisted, client_id=request.headers.get("x-client-id"),
                           replica=self.replica, read_after=request.state.read_after, holders=self.holders)
        # Once per socket: every operation and subscription event on it shares the slots.
        return Context(request=request, pool=self.pool, settings=self.settings, identity=ANONYMOUS,
                       hub=self.hub, views=self.views, live=self.live, persisted=self.persisted,
                       connection_slots=asyncio.Semaphore(MAX_CONNECTIONS_PER_SOCKET), holders=self.holders)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """The token comes in the connection_init payload in any shape clients send (see
        socket_credentials); a bad one, or a payload whose credentials cannot be found, closes
        the socket with 4403 - a client that meant to sign in is never served as anonymous."""
        params = context.connection_params or {}
        try:
            header = socket_credentials(params)
        except ValueError as refused:
            raise ConnectionRejectionError({"message": str(refused)}) from None
        assert self.holders is not None
        try:
            context.identity = await self.holders.current(
                identity_from_authorization(header, self.settings.jwt_secret))
        except InvalidToken as exc:
            raise ConnectionRejectionError({"message": f"Invalid token: {exc}"}) from exc
        except KeyRateLimited as exc:
            raise ConnectionRejectionError({"message": "Too many requests with this API key"}) from exc
        client_id = params.get("clientId")
        problem = None if client_id is None else client_id_problem(client_id)
        if problem is not None:
            raise ConnectionRejectionError({"message": f"clientId {problem}"})
        context.client_id = client_id
        if not context.identity.is_anonymous and isinstance(context.request, WebSocket):
            assert self.holders is not None
            _watch_token(context.request, context, self.holders)
        unset: UnsetType = UNSET
        return unset


def _text(encoded: str | bytes) -> str:
    return encoded if isinstance(encoded, str) else encoded.decode()


def _bounded_messages(receive: Receive, send: Send, limit: int) -> Receive:
    """WebSocket messages of at most `limit` bytes: a larger one closes the socket (1009),
    whatever the server in front was configured to accept (`serve` also sets uvicorn's own
    limit, so such a message is not even read)."""
    async def bounded() -> Message:
        message = await receive()
        if message["type"] == "websocket.receive":
            text, data = message.get("text"), message.get("bytes")
            size = len(text.encode("utf-8", "surrogatepass")) if text is not None else len(data or b"")
            if size > limit:
                await send({"type": "websocket.close", "code": 1009, "reason": "message too big"})
                return {"type": "websocket.disconnect", "code": 1009}
        return message
    return bounded


def _watch_token(websocket: WebSocket, context: Context, holders: TokenHolders) -> None:
    """While the socket is open, its token keeps standing for the account as it is now: it is
    closed (4403) when the account is deleted, or its session ends (signed out, expired), or -
    for a token without a session - when the token expires; and its identity follows the
    account's roles (checked every `holders.recheck_seconds`). A signed-in device's socket
    outlives its 15-minute access token: it would otherwise drop and reconnect each time."""
    async def watch() -> None:
        while WebSocketState.DISCONNECTED not in (websocket.client_state, websocket.application_state):
            identity, now = context.identity, datetime.now(UTC)
            if identity.lapsed(now):
                reason = "token expired"
                break
            left = float("inf")
            if identity.session_id is None and identity.expires_at is not None:
                left = (identity.expires_at - now).total_seconds()
            await asyncio.sleep(min(left, max(holders.recheck_seconds, MIN_SOCKET_RECHECK_SECONDS)))
            try:
                context.identity = await holders.current(context.identity)
            except InvalidToken as refused:
                reason = str(refused)[:120]  # (a close reason is at most 123 bytes)
                break
            except Exception as exc:  # the database is away: keep what we know, ask again later
                log.info("re-checking a socket's account failed: %r", exc)
        else:
            return
        with contextlib.suppress(Exception):
            await websocket.close(code=4403, reason=reason)

    task = asyncio.get_running_loop().create_task(watch())
    _token_watchers.add(task)
    task.add_done_callback(_token_watchers.discard)


_token_watchers: set[asyncio.Task[None]] = set()


def create_app(settings: Settings, database_url: str) -> Starlette:
    tracing = tracing_configured()
    if tracing:
        start_tracing()
    graphql = GraphQLApp(settings, tracing=tracing)
    OPERATION_NAMES.listed = settings.metrics_operations
    DOCUMENTS.resize(settings.caches.documents_bytes)
    PLANS.resize(settings.caches.plans_bytes)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        graphql.pool = await create_pool(
            database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size,
            session_settings=settings.limits.session_settings())
        async with graphql.pool.acquire() as conn:
            await check_data_key(conn, settings.data_key)
            await check_catalog(conn, TABLES)  # a mismatch stops the server here, named
        graphql.hub = ChangeHub(database_url, graphql.pool, settings.hub, settings.broadcast_url)
        graphql.holders = TokenHolders(graphql.pool, settings.account_recheck_seconds,
                                       settings.limits.pool_acquire_timeout_seconds,
                                       settings.api_key_requests_per_minute)
        graphql.persisted = PersistedDocuments(graphql.pool, settings.persisted_documents,
                                               settings.caches.persisted_bytes)
        graphql.views = SharedViews(graphql.pool, settings.hub.outage_seconds,
                                    asyncio.Semaphore(max(1, settings.pool_max_size // 2)))
        replica_pool = None
        watcher = None
        if settings.database_replica_url:
            # min_size 0: a replica that is down at start is no failure (reads use the primary).
            replica_pool = await create_pool(
                settings.database_replica_url, min_size=0, max_size=settings.pool_max_size,
                session_settings=settings.limits.session_settings())
            graphql.replica = ReplicaRouter(graphql.pool, replica_pool, settings.replica_max_lag_seconds,
                                            settings.limits.statement_timeout_ms / 1000 + 1)
            watcher = asyncio.create_task(graphql.replica.watch(), name="replica-watch")
        await graphql.hub.start()
        graphql.live = LiveFeed(graphql.hub, graphql.pool, settings.hub.outage_seconds, graphql.views.slots)
        graphql.live.start()
        # Everything loaded so far (schema, modules) lives as long as the process: keep it
        # out of the garbage collector's full passes, which otherwise walk it all and stall
        # requests for tens of milliseconds.
        gc.freeze()
        upkeep = asyncio.create_task(
            run_periodically(graphql.pool, settings.stats_refresh_seconds, settings.retention))
        sampler.sample()  # counted from the moment it serves
        sampling = asyncio.create_task(sampler.run(), name="metrics-sampler")
        webhooks = WebhookWorker(graphql.pool, database_url, settings.data_key, settings.webhooks,
                                 partial(event_statement, graphql.core_schema))
        delivering = asyncio.create_task(webhooks.run(), name="webhooks")
        try:
            yield
        finally:
            for task in (upkeep, sampling, delivering):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await webhooks.close()
            leave()
            await graphql.live.stop()
            await graphql.hub.stop()
            if watcher is not None and replica_pool is not None:
                await stop_watching(watcher)
                await replica_pool.close()
            await graphql.pool.close()
            stop_tracing()

    async def health(_request: Request) -> JSONResponse:
        """200 when this process can serve: the database answers and the change listener is
        connected (without it, live subscriptions fall behind); 503 otherwise, for load
        balancers. Either way it tells the pool's use, the listener's state and the replica's lag."""
        pool = graphql.pool
        started = time.perf_counter()
        listening = graphql.hub is None or graphql.hub.listener.connected.is_set()
        body: dict[str, Any] = {
            "pool": {"size": pool.get_size(), "idle": pool.get_idle_size(), "max": pool.get_max_size()}
            if pool is not None else None,
            "listener": {"connected": listening,
                         "reconnects": graphql.hub.listener.reconnects if graphql.hub else 0},
        }
        replica = graphql.replica
        if replica is not None:  # (a replica away is no reason to be out of service)
            body["replica"] = {"lagSeconds": replica.lag_seconds, "inRotation": replica.usable}
        try:
            if pool is None:
                raise ConnectionError("no pool")
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                async with pool.acquire() as conn:
                    await conn.fetchval("select 1")
        except Exception as exc:  # any failure means: not ready
            log.warning("health check failed: %r", exc)
            return JSONResponse({"status": "unavailable", "database": {"reachable": False}, **body},
                                status_code=503)
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return JSONResponse({"status": "ok" if listening else "unavailable",
                             "database": {"reachable": True, "latencyMs": latency_ms}, **body},
                            status_code=200 if listening else 503)

    sampler = ProcessSampler(graphql)
    app = Starlette(
        routes=[
            Route("/graphql", graphql),  # every method: the app answers 405 as GraphQL errors
            WebSocketRoute("/graphql", graphql),
            Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql-assets"),
            Route("/health", health, methods=["GET"]),
            Route("/metrics", metrics_endpoint(graphql, sampler), methods=["GET"]),
        ],
        middleware=[*([traced()] if tracing else []), Middleware(ResponseCounter),
                    Middleware(CORSMiddleware, allow_origin_regex=settings.allowed_origins.pattern,
                               allow_methods=["GET", "POST"], expose_headers=["Retry-After", "X-Read-After"],
                               allow_headers=list(settings.cors_allow_headers),
                               max_age=600)],
        lifespan=lifespan,
    )
    app.state.graphql = graphql  # tests and tools reach the hub through this
    return app


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` and worker processes: DATABASE_URL must be set."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)  # a worker starts here, not in main()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (python -m gql serve sets it for workers)")
    return create_app(settings, settings.database_url)
