"""The edge: documents whose cost hides in fragments, and caches that cannot be grown."""

from __future__ import annotations

import asyncio
import time

import httpx
from graphql import get_introspection_query

from gql.schema import DOCUMENTS
from gql.schema.document_cache import MAX_CACHED_DOCUMENT_BYTES
from tests.support import GraphQLClient, ServerThread


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
    before = DOCUMENTS.size_bytes
    for i in range(3):  # distinct, valid, and too large to keep
        assert (await client.data(f"{padding}{{ categories {{ slug }} }} # {i}"))["categories"]
    assert DOCUMENTS.size_bytes <= before + 3 * 100  # only small documents got in meanwhile
