"""The nested listing costs the same few statements whatever the page size (no N+1), on
both executors: one on the compiled path, one per level on the interpreter."""

from __future__ import annotations

from tests.support import GraphQLClient

NESTED = """
query Nested($n: Int!) {
  businesses(first: $n) {
    edges { node {
      name
      primaryCategory { name }
      reviews(first: 5) { edges { node { rating author { displayName } } } }
    } }
  }
}
"""


async def nested_counts(client: GraphQLClient) -> dict[int, int]:
    counts = {}
    for n in (5, 100):
        body = await client.execute(NESTED, {"n": n})
        assert not body.get("errors")
        edges = body["data"]["businesses"]["edges"]
        assert len(edges) == n
        assert any(e["node"]["reviews"]["edges"] for e in edges)
        assert all(e["node"]["primaryCategory"] for e in edges)
        counts[n] = body["extensions"]["sqlStatements"]
    return counts


async def test_the_compiled_path_answers_the_nested_listing_in_one_statement(client: GraphQLClient) -> None:
    assert await nested_counts(client) == {5: 1, 100: 1}


async def test_the_interpreter_batches_the_nested_listing_into_a_constant_few(seeded_url: str) -> None:
    """The interpreter (dataloaders), the fallback for what the compiler does not cover: the
    same few statements at 5 and 100 businesses (one per level, no N+1)."""
    import httpx

    from gql.app import create_app
    from gql.settings import Settings
    from tests.support import ServerThread

    settings = Settings.from_env({"GQL_DEBUG_SQL": "1", "GQL_COMPILED_READS": "0"})
    with ServerThread(create_app(settings, seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            counts = await nested_counts(GraphQLClient(http))
    assert counts[5] == counts[100] and 1 < counts[100] <= 5, counts


async def test_statement_count_is_absent_without_debug_sql(seeded_url: str) -> None:
    import httpx

    from gql.app import create_app
    from gql.settings import Settings
    from tests.support import ServerThread

    with ServerThread(create_app(Settings.from_env({}), seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            body = (await http.post("/graphql", json={"query": "{ categories { name } }"})).json()
    assert body["data"]["categories"]
    assert "sqlStatements" not in (body.get("extensions") or {})
