"""GET /metrics as Prometheus reads it (prometheus_client's own parser): request latency by
operation, errors by code, failed sign-ins, pool waits, WebSocket connections, database
figures. (Aggregation across worker processes, and one worker under `serve`: test_observability.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gql.observability.metrics import MAX_OPERATION_LABELS, OPERATION_NAMES, OperationNames
from tests.support import FeedClient, GraphQLClient, ServerThread, wait_for

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_latency_is_counted_by_operation_whichever_executor_answers(client: GraphQLClient) -> None:
    before = await scrape(client.http)
    document = "query MetricsProbe { categories { slug } }"
    for _ in range(3):  # the first is interpreted, the next ones take the compiled short way
        await client.data(document)
    after = await scrape(client.http)
    count = "gql_request_duration_seconds_count"
    assert value(after, count, operation="MetricsProbe", type="query") \
        - value(before, count, operation="MetricsProbe", type="query") == 3
    slow = value(after, "gql_request_duration_seconds_bucket", operation="MetricsProbe", type="query", le="+Inf")
    assert slow == value(after, count, operation="MetricsProbe", type="query")
    assert value(after, "gql_http_responses_total", status="200") > value(before, "gql_http_responses_total",
                                                                           status="200")


async def test_errors_are_counted_by_code(client: GraphQLClient) -> None:
    before = await scrape(client.http)
    await client.error('{ businesses(first: -1) { totalCount } }')  # BAD_USER_INPUT
    await client.error("{ nothingHere }")  # validation: no code
    assert (await client.http.post("/graphql", content=b"{not json",
                                   headers={"content-type": "application/json"})).status_code == 400
    after = await scrape(client.http)
    errors = "gql_graphql_errors_total"
    assert value(after, errors, code="BAD_USER_INPUT") - value(before, errors, code="BAD_USER_INPUT") == 1
    assert value(after, errors, code="(none)") - value(before, errors, code="(none)") == 1
    assert value(after, errors, code="BAD_REQUEST") - value(before, errors, code="BAD_REQUEST") == 1
    refused = value(after, "gql_request_duration_seconds_count", operation="(none)", type="(none)")
    assert refused - value(before, "gql_request_duration_seconds_count", operation="(none)", type="(none)") == 2


async def test_failed_sign_ins_are_counted(client: GraphQLClient) -> None:
    before = await scrape(client.http)
    payload = await client.mutate('mutation { logIn(email: "nobody@example.com", password: "wrong-password") '
                                  "{ token errors { code } } }")
    assert payload["errors"][0]["code"] == "UNAUTHENTICATED"
    after = await scrape(client.http)
    name = "gql_sign_in_failures_total"
    assert value(after, name, reason="wrong_credentials") - value(before, name, reason="wrong_credentials") == 1


async def test_pool_and_database_figures(client: GraphQLClient) -> None:
    before = await scrape(client.http)
    await client.data("{ businesses(first: 2) { totalCount } }")
    after = await scrape(client.http)
    assert value(after, "gql_db_pool_wait_seconds_count") > value(before, "gql_db_pool_wait_seconds_count")
    assert value(after, "gql_db_pool_max") >= value(after, "gql_db_pool_size") >= 1
    assert value(after, "gql_database_up") == 1
    assert value(after, "gql_database_size_bytes") > 1_000_000
    assert value(after, "gql_database_blocks_hit_total") > 0 and "gql_database_blocks_read_total" in {
        name for name, _ in after}
    assert value(after, "gql_database_connections", state="active") >= 1  # (the scrape's own)


async def test_open_websockets_are_counted(client: GraphQLClient, api_server: ServerThread) -> None:
    async def sockets() -> float:
        return value(await scrape(client.http), "gql_websocket_connections")

    async def closed() -> bool:
        return await sockets() == before

    before = await sockets()
    async with FeedClient(api_server.port):
        assert await sockets() == before + 1
    await wait_for(closed)  # (the server notices the close a moment later)


@pytest.fixture
def operation_names() -> Iterator[OperationNames]:
    """The process's label budget, given back afterwards (other tests' names must count)."""
    listed, seen = set(OPERATION_NAMES.listed), set(OPERATION_NAMES._seen)
    yield OPERATION_NAMES
    OPERATION_NAMES.listed, OPERATION_NAMES._seen = frozenset(listed), seen


async def test_operation_names_chosen_by_clients_cannot_grow_the_metrics_without_bound(
        client: GraphQLClient, operation_names: OperationNames) -> None:
    operation_names.listed = frozenset({"ListedByTheOperator"})
    for n in range(MAX_OPERATION_LABELS + 20):
        await client.data(f"query Flood{n} {{ __typename }}")
    await client.data("query ListedByTheOperator { __typename }")
    labels = {dict(labels).get("operation") for (name, labels) in await scrape(client.http)
              if name == "gql_request_duration_seconds_count"}
    assert len(labels) <= MAX_OPERATION_LABELS + 4  # (anonymous), (none), (other), the listed one
    assert "(other)" in labels and "ListedByTheOperator" in labels
