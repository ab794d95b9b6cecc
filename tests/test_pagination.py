"""Keyset pagination: every page walk yields the full ordered list, no duplicates, no gaps."""

from __future__ import annotations

import base64
import json

import asyncpg
import pytest

from tests.support import GraphQLClient

LISTING = """query($order: BusinessOrder!, $first: Int!, $after: String) {
  businesses(orderBy: $order, first: $first, after: $after) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

# The order each BusinessOrder must produce, as SQL over the same rows.
EXPECTED_ORDER = {
    "NAME": "name, id",
    "RATING": "rating_avg desc, review_count desc, id desc",
    "REVIEW_COUNT": "review_count desc, rating_avg desc, id desc",
    "NEWEST": "created_at desc, id desc",
}


@pytest.mark.parametrize("order", list(EXPECTED_ORDER))
async def test_walking_all_pages_gives_every_business_once_in_order(
    client: GraphQLClient, db: asyncpg.Connection, order: str
) -> None:
    expected = [str(r["id"]) for r in await db.fetch(
        "select id from businesses where status = 'active' and deleted_at is null"
        f" order by {EXPECTED_ORDER[order]}")]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await client.data(LISTING, {"order": order, "first": 7, "after": after}))["businesses"]
        pages += 1
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if page["edges"]:
            assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected
    assert pages == -(-len(expected) // 7)


async def test_ties_do_not_lose_or_repeat_rows(db: asyncpg.Connection) -> None:
    """The data set must have ties for the walk above to prove stability under them."""
    ties = await db.fetchval(
        "select count(*) from (select rating_avg, review_count from businesses"
        " where status = 'active' and deleted_at is null group by 1, 2 having count(*) > 7) t")
    assert ties > 0


async def test_a_cursor_resumes_right_after_its_row(client: GraphQLClient) -> None:
    first = (await client.data(LISTING, {"order": "NAME", "first": 10, "after": None}))["businesses"]
    middle_cursor = first["edges"][4]["cursor"]
    resumed = (await client.data(LISTING, {"order": "NAME", "first": 5, "after": middle_cursor}))["businesses"]
    assert [e["node"]["id"] for e in resumed["edges"]] == [e["node"]["id"] for e in first["edges"][5:]]


async def test_first_zero_returns_no_edges_but_the_count(client: GraphQLClient) -> None:
    page = (await client.data(LISTING, {"order": "NAME", "first": 0, "after": None}))["businesses"]
    assert page["edges"] == [] and page["totalCount"] > 0 and page["pageInfo"]["hasNextPage"]


def forge(order: str, key: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps([order, key]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage!!", "", forge("NAME", ["x"]), forge("NAME", ["x", "not-a-uuid"]),
    forge("NAME", "x"), base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
async def test_malformed_cursors_name_the_argument(client: GraphQLClient, cursor: str) -> None:
    body = await client.execute(LISTING, {"order": "NAME", "first": 5, "after": cursor})
    assert body["errors"][0]["extensions"]["argument"] == "after"
    assert "cursor" in body["errors"][0]["message"]


async def test_a_cursor_from_another_order_is_refused(client: GraphQLClient) -> None:
    page = (await client.data(LISTING, {"order": "NAME", "first": 1, "after": None}))["businesses"]
    message = await client.error(LISTING, {"order": "RATING", "first": 5,
                                           "after": page["pageInfo"]["endCursor"]})
    assert "NAME" in message and "RATING" in message


REVIEW_ORDER = {
    "NEWEST": "created_at desc, id desc",
    "OLDEST": "created_at, id",
    "HIGHEST_RATING": "rating desc, created_at desc, id desc",
    "LOWEST_RATING": "rating, created_at, id",
    "MOST_HELPFUL": "helpful_count desc, created_at desc, id desc",
}


@pytest.mark.parametrize("order", list(REVIEW_ORDER))
async def test_walking_a_business_reviews(client: GraphQLClient, db: asyncpg.Connection,
                                          order: str) -> None:
    business_id = await db.fetchval(
        "select id from businesses where status = 'active' and deleted_at is null"
        " order by review_count desc limit 1")
    expected = [str(r["id"]) for r in await db.fetch(
        "select id from business_reviews where business_id = $1 and status = 'published'"
        f" and deleted_at is null order by {REVIEW_ORDER[order]}", business_id)]
    assert len(expected) > 12
    query = """query($id: ID!, $order: ReviewOrder!, $after: String) { business(id: $id) {
        reviews(first: 6, orderBy: $order, after: $after) { totalCount edges { node { id } }
        pageInfo { hasNextPage endCursor } } } }"""
    seen: list[str] = []
    after = None
    while True:
        reviews = (await client.data(query, {"id": str(business_id), "order": order,
                                             "after": after}))["business"]["reviews"]
        assert reviews["totalCount"] == len(expected)
        seen += [e["node"]["id"] for e in reviews["edges"]]
        if not reviews["pageInfo"]["hasNextPage"]:
            break
        after = reviews["pageInfo"]["endCursor"]
    assert seen == expected
