"""The edge: documents whose cost hides in fragments, and caches that cannot be grown."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest
from graphql import get_introspection_query

from gql.edge.document_cache import MAX_CACHED_DOCUMENT_BYTES
from gql.schema import DOCUMENTS
from tests.support import GraphQLClient, ServerThread, wait_for
from tests.world import World


def fragment_bomb(levels: int) -> str:
    """F1 selects a field; each further fragment spreads the one before twice."""
    fragments = ["fragment F1 on Category { slug }"]
    fragments += [f"fragment F{n} on Category {{ ...F{n - 1} ...F{n - 1} }}" for n in range(2, levels + 1)]
    return f"{{ categories {{ ...F{levels} }} }} " + " ".join(fragments)


async def test_a_fragment_bomb_is_refused_at_once_and_the_server_stays_responsive(
        api_server: ServerThread, client: GraphQLClient) -> None:
    document = fragment_bomb(25)  # 2^24 selections of `slug` once expanded
    assert len(document.encode()) < 1100
    async with httpx.AsyncClient(base_url=api_server.url, timeout=30) as http:
        started = time.perf_counter()
        bomb = asyncio.create_task(http.post("/graphql", json={"query": document}))
        health = await http.get("/health")
        answer = await bomb
        elapsed = time.perf_counter() - started
    assert health.status_code == 200
    errors = answer.json()["errors"]
    assert any("fields once its fragments are expanded" in e["message"] for e in errors), errors
    # Not a speed target (those are in bench/): a walk that doubles per level would take
    # hours at 25 levels; a linear one takes milliseconds.
    assert elapsed < 5


async def test_fragments_count_toward_depth_and_aliases(client: GraphQLClient) -> None:
    deep = ("{ categories { ...A } } fragment A on Category { children { ...B } } "
            "fragment B on Category { children { children { children { children { children { children "
            "{ children { children { children { children { slug } } } } } } } } } } }")
    assert "more than 12 levels" in await client.error(deep)
    aliased = "{ categories { ...A ...A2 } } " + "fragment A on Category { " + " ".join(
        f"a{i}: slug" for i in range(16)) + " } fragment A2 on Category { " + " ".join(
        f"b{i}: slug" for i in range(16)) + " }"
    assert "aliases" in await client.error(aliased)


async def test_graphiql_can_still_introspect(client: GraphQLClient) -> None:
    data = await client.data(get_introspection_query(descriptions=True))
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_large_documents_are_not_cached(client: GraphQLClient) -> None:
    padding = "# " + "x" * MAX_CACHED_DOCUMENT_BYTES + "\n"
    before = DOCUMENTS.size
    for i in range(3):  # distinct, valid, and too large to keep
        assert (await client.data(f"{padding}{{ categories {{ slug }} }} # {i}"))["categories"]
    assert DOCUMENTS.size <= before + 3 * 100  # only small documents got in meanwhile


async def test_client_mistakes_are_logged_short_and_bugs_with_an_id_the_client_sees(
        fresh_database: str, caplog: pytest.LogCaptureFixture) -> None:
    from gql.app import create_app
    from gql.database import connect
    from gql.settings import Settings

    conn = await connect(fresh_database)  # a broken deployment: a function the API needs is gone
    await conn.execute("drop function api.categories_by_slug(text[])")
    await conn.close()
    caplog.set_level(logging.INFO, logger="gql")
    with ServerThread(create_app(Settings.from_env({}), fresh_database)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            invalid = "{ categories { " + "nosuchfield " * 20_000 + "} }"
            assert (await http.post("/graphql", json={"query": invalid})).json()["errors"]
            broken = (await http.post("/graphql", json={"query": '{ category(slug: "x") { name } }'})).json()
    (error,) = broken["errors"]
    assert error["message"] == "Unexpected error." and "drop" not in json.dumps(broken)
    request_id = error["extensions"]["requestId"]
    client_lines = [r for r in caplog.records if r.getMessage().startswith("client error")]
    assert client_lines and all(r.levelno == logging.INFO and r.exc_info is None for r in client_lines)
    assert max(len(r.getMessage()) for r in client_lines) < 500
    (bug,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert bug.levelno == logging.ERROR and bug.exc_info is not None


@pytest.mark.parametrize("setting, allowed, refused", [
    (None, "http://localhost:3000", "https://evil.example"),
    ("https://app.example.com", "https://app.example.com", "http://localhost:3000"),
])
async def test_allowed_origins_govern_cors_and_websocket_handshakes(
        seeded_url: str, setting: str | None, allowed: str, refused: str) -> None:
    import websockets

    from gql.app import create_app
    from gql.settings import Settings

    settings = Settings.from_env({"GQL_ALLOWED_ORIGINS": setting} if setting else {})
    with ServerThread(create_app(settings, seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            for origin, admitted in ((allowed, True), (refused, False)):
                preflight = await http.options("/graphql", headers={
                    "origin": origin, "access-control-request-method": "POST",
                    "access-control-request-headers": "content-type, authorization, traceparent, tracestate, "
                                                      "apollographql-client-name, apollographql-client-version"})
                assert (preflight.headers.get("access-control-allow-origin") == origin) is admitted
                assert (preflight.status_code == 200) is admitted, preflight.text
                answer = await http.post("/graphql", json={"query": "{ categories { slug } }"},
                                         headers={"origin": origin})
                assert answer.status_code == 200
                assert (answer.headers.get("access-control-allow-origin") == origin) is admitted
        url = f"ws://127.0.0.1:{server.port}/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                      origin=allowed) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
        with pytest.raises(websockets.InvalidStatus) as refused_handshake:
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                          origin=refused):  # type: ignore[arg-type]
                pass
        assert refused_handshake.value.response.status_code == 403
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init"}))  # no Origin: not a browser
            assert json.loads(await ws.recv())["type"] == "connection_ack"


async def test_a_setting_adds_request_headers_pages_may_send(seeded_url: str) -> None:
    from gql.app import create_app
    from gql.settings import Settings

    asked = {"origin": "http://localhost:3000", "access-control-request-method": "POST",
             "access-control-request-headers": "content-type, x-tenant"}
    for setting, admitted in ((None, False), ("X-Tenant, x-other", True)):
        settings = Settings.from_env({"GQL_CORS_ALLOW_HEADERS": setting} if setting else {})
        with ServerThread(create_app(settings, seeded_url)) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                preflight = await http.options("/graphql", headers=asked)
        assert (preflight.status_code == 200) is admitted, (setting, preflight.text)


async def test_slow_statements_and_a_busy_pool_are_clear_retryable_errors(seeded_url: str) -> None:
    """A statement past GQL_STATEMENT_TIMEOUT_MS answers TIMEOUT; a request that finds every
    connection busy past GQL_POOL_ACQUIRE_TIMEOUT_SECONDS answers 503 with Retry-After."""
    from gql.app import create_app
    from gql.database import connect
    from gql.settings import Settings

    settings = Settings.from_env({"GQL_STATEMENT_TIMEOUT_MS": "1500", "GQL_POOL_ACQUIRE_TIMEOUT_SECONDS": "0.3",
                                  "GQL_POOL_MAX": "2", "GQL_POOL_MIN": "1"})
    blocker, watcher = await connect(seeded_url), await connect(seeded_url)
    with ServerThread(create_app(settings, seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            # A row lock held elsewhere makes a write wait past the statement timeout... and the
            # lock timeout (2 s) is longer, so it is the statement timeout that ends it.
            await blocker.execute("begin; lock table categories in access exclusive mode")
            slow = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
            assert slow["errors"][0]["extensions"]["code"] == "TIMEOUT", slow
            assert "too long" in slow["errors"][0]["message"]
            # Two requests hold both pool connections (waiting on the lock); a third finds none.
            held = [asyncio.create_task(http.post("/graphql", json={"query": "{ categories { slug } }"}))
                    for _ in range(2)]

            async def both_waiting() -> bool:  # (the blocker's transaction sees one snapshot)
                waiting: int = await watcher.fetchval(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                    " and datname = current_database()")
                return waiting == 2

            await wait_for(both_waiting)
            busy = await http.post("/graphql", json={"query": '{ business(slug: "x") { id } }'})
            await blocker.execute("rollback")
            await asyncio.gather(*held)
    await blocker.close()
    await watcher.close()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_websocket_message_over_the_body_limit_closes_the_socket(api_server: ServerThread) -> None:
    import websockets

    async with websockets.connect(f"ws://127.0.0.1:{api_server.port}/graphql", max_size=None,
                                  subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "#" * (2 * 1024 * 1024)}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big


async def test_small_inputs_cannot_ask_for_unbounded_work(world: World) -> None:
    """An analytics window beyond the data's lifetime, and a filter text of a million
    characters, are refused naming the argument (they used to cost 18 s and 7 s of CPU)."""
    report = "query($id: ID!, $to: Date) { businessAnalytics(businessId: $id, to: $to) { totalViews } }"
    for to in ("9999-12-31", "0001-01-01"):
        message = await world.owner.client.error(report, {"id": world.listed_id, "to": to})
        assert '"to"' in message, message
    message = await world.admin.client.error('{ platformStats(to: "9999-12-31") { refreshedAt } }')
    assert '"to"' in message, message
    city = "x" * 1_000_000
    answer = await world.anonymous.http.post("/graphql", json={
        "query": "query($c: String) { businesses(filter: {city: $c}) { totalCount } }", "variables": {"c": city}})
    assert answer.status_code == 200 and "$c" in answer.json()["errors"][0]["message"]
    message = await world.anonymous.error('{ businesses(filter: {city: "%s"}) { totalCount } }' % ("x" * 201))
    assert "filter.city" in message
