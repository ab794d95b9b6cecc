"""The HTTP surface: health, GraphiQL, GraphQL over GET, WebSocket, and masked errors."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
import websockets

from gql.app import create_app
from gql.database import connect
from gql.settings import Settings
from tests.support import GraphQLClient, ServerThread, drop


async def test_health_reports_database_pool_and_listener(client: GraphQLClient) -> None:
    response = await client.http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"]["reachable"] is True
    assert 0 <= body["database"]["latencyMs"] < 2000
    assert 0 <= body["pool"]["idle"] <= body["pool"]["size"] <= body["pool"]["max"]
    assert body["listener"]["connected"] is True


async def test_graphiql_is_served_to_browsers(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_over_get(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", params={"query": "{ categories { slug } }"})
    assert response.status_code == 200
    assert len(response.json()["data"]["categories"]) == 5


async def test_anonymous_get_reads_are_cacheable_and_nothing_personal_is(client: GraphQLClient) -> None:
    read = {"query": "{ categories { slug } }"}
    answer = await client.http.get("/graphql", params=read, headers={"accept": "application/json"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "public, max-age=10"
    assert {"Accept", "Authorization"} <= {v.strip() for v in answer.headers["vary"].split(",")}
    mine = await client.http.get("/graphql", params=read, headers={"authorization": "Bearer x.y.z"})
    assert mine.headers["cache-control"] == "private, no-store"  # (refused, and personal anyway)
    failed = await client.http.get("/graphql", params={"query": "{ nope }"})
    assert failed.headers["cache-control"] == "private, no-store"
    page = await client.http.get("/graphql", headers={"accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and page.headers["cache-control"] == "private, no-store"
    assert "Accept" in page.headers["vary"]


async def test_a_hash_only_get_is_a_read_not_graphiql(client: GraphQLClient) -> None:
    """fetch() sends Accept: */* by default; only a page request (text/html) gets GraphiQL."""
    hashed = {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}})}
    for accept in ("*/*", "application/json"):
        answer = await client.http.get("/graphql", params=hashed, headers={"accept": accept})
        assert answer.headers["content-type"].startswith("application/"), (accept, answer.text[:100])
        assert answer.json()["errors"][0]["message"] == "PersistedQueryNotFound"
        assert answer.headers["cache-control"] == "private, no-store"  # (the next one may find it)


async def test_batched_operations_answer_in_order(client: GraphQLClient) -> None:
    """Apollo's BatchHttpLink: an array body, an array answer, each operation on its own."""
    batch = [{"query": "{ categories { slug } }"}, {"query": "query Bad { nope }"},
             {"query": "query($s: String!) { category(slug: $s) { slug } }", "variables": {"s": "restaurants"}}]
    answer = await client.http.post("/graphql", json=batch)
    assert answer.status_code == 200
    first, bad, third = answer.json()
    assert len(first["data"]["categories"]) == 5 and "nope" in bad["errors"][0]["message"]
    assert third["data"] == {"category": {"slug": "restaurants"}}
    too_many = await client.http.post("/graphql", json=[{"query": "{ categories { slug } }"}] * 11)
    assert too_many.status_code == 400 and "1 to 10 operations" in too_many.json()["errors"][0]["message"]
    for bad_batch in ([], [1, 2], [{"query": 1}]):
        assert (await client.http.post("/graphql", json=bad_batch)).status_code == 400, bad_batch


async def test_a_document_sent_as_application_graphql(client: GraphQLClient) -> None:
    answer = await client.http.post("/graphql", content=b"query Slugs { categories { slug } }",
                                    headers={"content-type": "application/graphql"})
    assert answer.status_code == 200 and len(answer.json()["data"]["categories"]) == 5
    named = await client.http.post("/graphql?operationName=B", content=b"query A { __typename } query B { categories { slug } }",
                                   headers={"content-type": "application/graphql"})
    assert len(named.json()["data"]["categories"]) == 5
    broken = await client.http.post("/graphql", content=b"{ categories \xff }", headers={"content-type": "application/graphql"})
    assert broken.status_code == 400 and "UTF-8" in broken.json()["errors"][0]["message"]


async def test_persisted_query_misses_are_counted(client: GraphQLClient) -> None:
    def misses(metrics: str) -> float:
        line = next((x for x in metrics.splitlines()
                     if x.startswith('gql_graphql_errors_total{code="PERSISTED_QUERY_NOT_FOUND"}')), None)
        return float(line.split()[-1]) if line else 0.0

    before = misses((await client.http.get("/metrics")).text)
    await client.http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "1" * 64}}})
    assert misses((await client.http.get("/metrics")).text) == before + 1


async def test_introspection_can_be_turned_off(seeded_url: str) -> None:
    settings = Settings.from_env({"GQL_INTROSPECTION": "off"})
    with ServerThread(create_app(settings, seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            refused = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
            assert "introspection" in refused["errors"][0]["message"].lower()
            named = (await http.post("/graphql", json={"query": '{ __type(name: "Business") { name } }'})).json()
            assert "introspection" in named["errors"][0]["message"].lower()
            plain = (await http.post("/graphql", json={"query": "{ __typename categories { slug } }"})).json()
            assert plain["data"]["__typename"] == "Query"


async def test_queries_over_websocket_with_graphql_transport_ws(api_server: ServerThread) -> None:
    url = f"ws://127.0.0.1:{api_server.port}/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": "{ categories { slug } }"}}))
        message = json.loads(await ws.recv())
        assert message["type"] == "next" and len(message["payload"]["data"]["categories"]) == 5
        assert json.loads(await ws.recv()) == {"id": "1", "type": "complete"}


async def test_the_legacy_graphql_ws_subprotocol_is_refused(api_server: ServerThread) -> None:
    url = f"ws://127.0.0.1:{api_server.port}/graphql"
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(url, subprotocols=["graphql-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()


async def test_unexpected_errors_are_masked_and_health_turns_503(
    server_url: str, fresh_database: str
) -> None:
    """A broken database: the client learns nothing of SQL or connections; health says 503."""
    url = fresh_database
    name = urlsplit(url).path.lstrip("/")
    with ServerThread(create_app(Settings.from_env({}), url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            conn = await connect(url)
            await conn.execute("drop function api.category_roots()")
            await conn.close()
            body = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
            error = body["errors"][0]
            assert error["message"] == "Unexpected error."
            text = json.dumps(body).lower()
            for leak in ("category_roots", "function", "sql", "postgres", "traceback", name):
                assert leak not in text
            # Validation errors are not masked: they help the client fix its query.
            invalid = (await http.post("/graphql", json={"query": "{ nope }"})).json()
            assert "Cannot query field 'nope'" in invalid["errors"][0]["message"]

            await drop(server_url, name)  # terminates the server's connections
            health = await http.get("/health")
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable"
            assert name not in health.text and "postgresql://" not in health.text
