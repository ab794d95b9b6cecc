"""Every read field of the API, checked against the database it reads from."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.support import GraphQLClient

BUSINESS_FIELDS = """
  id slug name description shortDescription status tags phone email website
  address { line1 line2 city state zip country }
  location { latitude longitude }
  timezone hours { day opens closes } specialHours { date closed intervals { opens closes } }
  isOpenNow rating reviewCount ratingDistribution { rating count } verified version
  createdAt updatedAt
  primaryCategory { slug }
  categories { slug }
  owner { id displayName }
"""


async def listed_business(db: asyncpg.Connection, *, with_owner: bool = False) -> asyncpg.Record:
    owner = "and owner_id is not null" if with_owner else ""
    row = await db.fetchrow(
        f"select * from businesses where status = 'active' and deleted_at is null {owner}"
        " and cardinality(secondary_category_ids) > 0 order by review_count desc limit 1"
    ) or await db.fetchrow(
        f"select * from businesses where status = 'active' and deleted_at is null {owner}"
        " order by review_count desc limit 1"
    )
    assert row is not None
    return row


async def test_business_by_id_and_by_slug_give_every_field(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    row = await listed_business(db, with_owner=True)
    by_id = (await client.data(f'{{ business(id: "{row["id"]}") {{ {BUSINESS_FIELDS} }} }}'))["business"]
    by_slug = (await client.data(f'{{ business(slug: "{row["slug"]}") {{ {BUSINESS_FIELDS} }} }}'))["business"]
    assert by_id == by_slug
    b = by_id
    assert b["id"] == str(row["id"]) and b["name"] == row["name"] and b["status"] == "ACTIVE"
    assert b["tags"] == list(row["tags"])
    assert b["address"]["city"] == row["city"] and b["address"]["zip"] == row["zip_code"]
    assert b["location"] == {"latitude": row["latitude"], "longitude": row["longitude"]}
    assert b["reviewCount"] == row["review_count"]
    assert b["rating"] == pytest.approx(float(row["rating_avg"]))
    assert [d["count"] for d in b["ratingDistribution"]] == list(reversed(row["rating_counts"]))
    assert sum(d["count"] for d in b["ratingDistribution"]) == b["reviewCount"]
    assert b["version"] == row["version"]
    assert b["primaryCategory"]["slug"] == await db.fetchval(
        "select slug from categories where id = $1", row["primary_category_id"])
    expected_categories = await db.fetch(
        "select slug from categories where id = any($1)",
        [row["primary_category_id"], *row["secondary_category_ids"]])
    assert b["categories"][0] == b["primaryCategory"]
    assert {c["slug"] for c in b["categories"]} == {r["slug"] for r in expected_categories}
    assert b["owner"]["id"] == str(row["owner_id"])
    weekly = {(h["day"], h["opens"], h["closes"]) for h in b["hours"]}
    day_names = {"mon": "MONDAY", "tue": "TUESDAY", "wed": "WEDNESDAY", "thu": "THURSDAY",
                 "fri": "FRIDAY", "sat": "SATURDAY", "sun": "SUNDAY"}
    assert weekly == {(day_names[d], o, c) for d, ivs in row["hours"].items() for o, c in ivs}
    assert b["isOpenNow"] == await db.fetchval("select api.is_open_now(b) from businesses b where id = $1", row["id"])


async def test_unknown_business_is_null_not_an_error(client: GraphQLClient) -> None:
    data = await client.data(f'{{ a: business(id: "{uuid.uuid4()}") {{ id }} '
                             '   b: business(slug: "no-such-business") { id } }')
    assert data == {"a": None, "b": None}


@pytest.mark.parametrize("args, argument", [
    ('(id: "not-a-uuid")', "id"),
    ("", "id"),
    (f'(id: "{uuid.uuid4()}", slug: "x")', "id"),
])
async def test_bad_business_arguments_name_the_argument(
    client: GraphQLClient, args: str, argument: str
) -> None:
    body = await client.execute(f"{{ business{args} {{ id }} }}")
    error = body["errors"][0]
    assert f'"{argument}"' in error["message"]
    assert error["extensions"]["argument"] == argument


async def test_hidden_businesses_and_reviews_are_invisible(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    hidden = await db.fetch(
        "select distinct on (status, deleted_at is null) id from businesses"
        " where status <> 'active' or deleted_at is not null")
    assert len(hidden) >= 3  # draft, suspended, deleted
    for row in hidden:
        assert (await client.data(f'{{ business(id: "{row["id"]}") {{ id }} }}'))["business"] is None
    pending = await db.fetchval("select id from business_reviews where status = 'pending' limit 1")
    rejected = await db.fetchval("select id from business_reviews where status = 'rejected' limit 1")
    for review_id in (pending, rejected):
        assert (await client.data(f'{{ review(id: "{review_id}") {{ id }} }}'))["review"] is None
    listed_ids = set()
    after = None
    while True:
        page = (await client.data(
            "query($after: String) { businesses(first: 100, after: $after) {"
            " edges { node { id status } } pageInfo { hasNextPage endCursor } } }",
            {"after": after}))["businesses"]
        listed_ids |= {e["node"]["id"] for e in page["edges"]}
        assert {e["node"]["status"] for e in page["edges"]} <= {"ACTIVE"}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert not listed_ids & {str(r["id"]) for r in hidden}


async def test_review_fields_author_and_response(client: GraphQLClient, db: asyncpg.Connection) -> None:
    row = await db.fetchrow(
        "select r.*, resp.content as response_content, u.display_name"
        " from business_reviews r join review_responses resp on resp.review_id = r.id"
        " join users u on u.id = r.author_id join businesses b on b.id = r.business_id"
        " where r.status = 'published' and b.status = 'active' and b.deleted_at is null"
        " and r.helpful_count > 0 limit 1")
    assert row is not None
    review = (await client.data(f"""{{ review(id: "{row['id']}") {{
        id rating title content status visitDate helpfulCount notHelpfulCount version
        createdAt updatedAt business {{ id }} author {{ displayName }}
        response {{ content responder {{ id }} }} }} }}"""))["review"]
    assert review["rating"] == row["rating"] and review["content"] == row["content"]
    assert review["status"] == "PUBLISHED" and review["title"] == row["title"]
    assert review["visitDate"] == row["visit_date"].isoformat()
    assert review["helpfulCount"] == row["helpful_count"] == await db.fetchval(
        "select count(*) from review_votes where review_id = $1 and helpful", row["id"])
    assert review["notHelpfulCount"] == row["not_helpful_count"]
    assert review["business"]["id"] == str(row["business_id"])
    assert review["author"]["displayName"] == row["display_name"]
    assert review["response"]["content"] == row["response_content"]


async def test_user_profiles_expose_no_private_fields(client: GraphQLClient) -> None:
    message = await client.error('{ businesses(first: 1) { edges { node { owner { email } } } } }')
    assert "Cannot query field 'email'" in message


async def test_category_tree(client: GraphQLClient, db: asyncpg.Connection) -> None:
    roots = (await client.data("""{ categories { slug name level businessCount parent { slug }
        children { slug level parent { slug } ancestors { slug } children { slug } } } }"""))["categories"]
    assert [r["slug"] for r in roots] == ["restaurants", "health-medical", "home-services",
                                         "automotive", "professional"]
    for root in roots:
        assert root["level"] == 0 and root["parent"] is None and root["children"]
        for child in root["children"]:
            assert child["level"] == 1
            assert child["parent"]["slug"] == root["slug"]
            assert child["ancestors"] == [{"slug": root["slug"]}]
    expected = await db.fetch("""
        select c.slug, count(distinct b.id) as n
          from categories c
          left join categories sub on sub.path @> array[c.id]
          left join businesses b on (b.primary_category_id = sub.id or sub.id = any(b.secondary_category_ids))
                                 and b.status = 'active' and b.deleted_at is null
         where c.parent_id is null group by c.slug""")
    assert {r["slug"]: r["businessCount"] for r in roots} == {r["slug"]: r["n"] for r in expected}


async def test_category_by_slug_and_its_businesses(client: GraphQLClient) -> None:
    data = await client.data("""{ category(slug: "pizza") { name ancestors { slug }
        businessCount businesses(first: 100) { totalCount edges { node { primaryCategory { slug }
        categories { slug } } } } } missing: category(slug: "nope") { id } }""")
    pizza = data["category"]
    assert data["missing"] is None
    assert pizza["name"] == "Pizza" and pizza["ancestors"] == [{"slug": "restaurants"}]
    assert pizza["businesses"]["totalCount"] == pizza["businessCount"] > 0
    for edge in pizza["businesses"]["edges"]:
        assert "pizza" in {c["slug"] for c in edge["node"]["categories"]}


async def test_category_filter_includes_sub_categories(client: GraphQLClient, db: asyncpg.Connection) -> None:
    query = """query($slug: String!) { businesses(first: 100, filter: {categorySlug: $slug}) {
        totalCount edges { node { id } } } }"""
    top = (await client.data(query, {"slug": "restaurants"}))["businesses"]
    expected = await db.fetchval("""
        select count(*) from businesses b where b.status = 'active' and b.deleted_at is null
           and exists (select 1 from categories c join categories root on root.slug = 'restaurants'
                        where c.path @> array[root.id]
                          and (c.id = b.primary_category_id or c.id = any(b.secondary_category_ids)))""")
    assert top["totalCount"] == expected
    subs = await db.fetch("select slug from categories where parent_id = "
                          "(select id from categories where slug = 'restaurants')")
    under_subs = set()
    for sub in subs:
        page = (await client.data(query, {"slug": sub["slug"]}))["businesses"]
        under_subs |= {e["node"]["id"] for e in page["edges"]}
    top_ids = {e["node"]["id"] for e in top["edges"]}
    if top["totalCount"] <= 100:
        assert top_ids == under_subs
    assert (await client.data(query, {"slug": "no-such-category"}))["businesses"]["totalCount"] == 0


async def test_city_state_and_rating_filters(client: GraphQLClient, db: asyncpg.Connection) -> None:
    city, state = await db.fetchrow(
        "select city, state from businesses where status = 'active' group by 1, 2 order by count(*) desc limit 1")
    page = (await client.data("""query($city: String, $state: String) {
        businesses(first: 100, filter: {city: $city, state: $state}) {
        totalCount edges { node { address { city state } } } } }""",
        {"city": city.upper(), "state": state.lower()}))["businesses"]
    assert page["totalCount"] == await db.fetchval(
        "select count(*) from businesses where status = 'active' and deleted_at is null"
        " and city = $1 and state = $2", city, state)
    assert {(e["node"]["address"]["city"], e["node"]["address"]["state"]) for e in page["edges"]} == {(city, state)}
    rated = (await client.data("""{ businesses(first: 100, filter: {minRating: 4.5}) {
        totalCount edges { node { rating } } } }"""))["businesses"]
    assert rated["totalCount"] == await db.fetchval(
        "select count(*) from businesses where status = 'active' and deleted_at is null"
        " and review_count > 0 and rating_avg >= 4.5")
    assert all(e["node"]["rating"] >= 4.5 for e in rated["edges"])


@pytest.mark.parametrize("first", [-1, 101, 1000])
async def test_first_out_of_range_is_refused(client: GraphQLClient, first: int) -> None:
    body = await client.execute(f"{{ businesses(first: {first}) {{ totalCount }} }}")
    assert body["errors"][0]["extensions"]["argument"] == "first"
    assert "between 0 and 100" in body["errors"][0]["message"]


async def test_nested_first_out_of_range_is_refused(client: GraphQLClient) -> None:
    message = await client.error(
        "{ businesses(first: 1) { edges { node { reviews(first: 500) { totalCount } } } } }")
    assert '"first"' in message and "100" in message


async def test_unknown_enum_and_bad_filter_are_clear(client: GraphQLClient) -> None:
    message = await client.error("{ businesses(orderBy: LOUDEST) { totalCount } }")
    assert "LOUDEST" in message and "BusinessOrder" in message
    message = await client.error("{ businesses(filter: {minRating: 9}) { totalCount } }")
    assert "minRating" in message


async def test_orders_sort_as_documented(client: GraphQLClient) -> None:
    query = """query($order: BusinessOrder!) { businesses(first: 100, orderBy: $order) {
        edges { node { name rating reviewCount createdAt } } } }"""

    async def nodes(order: str) -> list[dict[str, object]]:
        return [e["node"] for e in (await client.data(query, {"order": order}))["businesses"]["edges"]]

    by_rating = await nodes("RATING")
    keys = [((n["rating"] or 0), n["reviewCount"]) for n in by_rating]
    assert keys == sorted(keys, reverse=True)
    by_count = await nodes("REVIEW_COUNT")
    counts = [n["reviewCount"] for n in by_count]
    assert counts == sorted(counts, reverse=True)
    newest = [n["createdAt"] for n in await nodes("NEWEST")]
    assert newest == sorted(newest, reverse=True)
    assert len(await nodes("NAME")) == 100


async def test_business_reviews_connection(client: GraphQLClient, db: asyncpg.Connection) -> None:
    row = await listed_business(db)
    data = await client.data(f"""{{ business(id: "{row['id']}") {{ reviewCount
        reviews(first: 100, orderBy: HIGHEST_RATING) {{ totalCount edges {{ node {{ id rating status }} }} }} }} }}""")
    reviews = data["business"]["reviews"]
    assert reviews["totalCount"] == data["business"]["reviewCount"] == len(reviews["edges"])
    ratings = [e["node"]["rating"] for e in reviews["edges"]]
    assert ratings == sorted(ratings, reverse=True)
    assert {e["node"]["status"] for e in reviews["edges"]} == {"PUBLISHED"}
    published = await db.fetch("select id from business_reviews where business_id = $1"
                               " and status = 'published' and deleted_at is null", row["id"])
    assert {e["node"]["id"] for e in reviews["edges"]} == {str(r["id"]) for r in published}
