"""The nested listing costs the same few statements whatever the page size (no N+1)."""

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


async def test_nested_listing_sends_a_constant_number_of_statements(client: GraphQLClient) -> None:
    counts = {}
    for n in (5, 100):
        body = await client.execute(NESTED, {"n": n})
        assert not body.get("errors")
        edges = body["data"]["businesses"]["edges"]
        assert len(edges) == n
        assert any(e["node"]["reviews"]["edges"] for e in edges)
        assert all(e["node"]["primaryCategory"] for e in edges)
        counts[n] = body["extensions"]["sqlStatements"]
    assert counts[5] == counts[100]
    assert counts[100] <= 5


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
