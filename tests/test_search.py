"""Search and geo against the seeded directory: typo tolerance, accents, filters, distance,
pagination, nearby, autocomplete, did-you-mean, bad input, and service areas."""

from __future__ import annotations

import math
import random

import asyncpg
import pytest
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon

from tests.support import GraphQLClient
from tests.world import World

SEARCH = """query($q: String, $near: GeoPointInput, $r: Float, $cat: String, $open: Boolean! = false,
                  $min: Float, $serves: GeoPointInput, $sort: SearchSort! = BEST_MATCH, $first: Int! = 20,
                  $after: String) {
  searchBusinesses(query: $q, near: $near, radiusMeters: $r, categorySlug: $cat, openNow: $open,
                   minRating: $min, servesLocation: $serves, sort: $sort, first: $first, after: $after) {
    totalCount didYouMean
    edges { cursor node { id name isOpenNow distanceMeters bearingDegrees rating reviewCount
                          location { latitude longitude } categories { slug ancestors { slug } } } }
    pageInfo { hasNextPage endCursor } } }"""


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


async def search(client: GraphQLClient, **variables: object) -> dict:
    return (await client.data(SEARCH, variables))["searchBusinesses"]


async def unique_names(db: asyncpg.Connection, count: int) -> list[asyncpg.Record]:
    return await db.fetch("""
        select id, name from businesses b
         where status = 'active' and deleted_at is null and length(name) >= 12
           and (select count(*) from businesses o where o.name = b.name) = 1
         order by id limit $1""", count)


def typos(name: str) -> list[str]:
    longest = max(name.split(), key=len)
    i = len(longest) // 2
    dropped = longest[:i] + longest[i + 1:]
    swapped = longest[:i - 1] + longest[i] + longest[i - 1] + longest[i + 1:]
    return [name.replace(longest, dropped), name.replace(longest, swapped)]


async def test_a_misspelled_name_still_finds_the_business_in_the_top_three(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    for row in await unique_names(db, 8):
        for typo in typos(row["name"]):
            top = await search(client, q=typo, first=3)
            assert str(row["id"]) in [e["node"]["id"] for e in top["edges"]], (row["name"], typo, top["edges"])


async def test_accents_are_ignored(client: GraphQLClient) -> None:
    plain = await search(client, q="cafe", first=100)
    accented = await search(client, q="Café", first=100)
    assert plain["totalCount"] > 0 and plain["totalCount"] == accented["totalCount"]
    assert any("Café" in e["node"]["name"] for e in plain["edges"])


async def test_category_filter_includes_sub_categories(client: GraphQLClient, db: asyncpg.Connection) -> None:
    result = await search(client, cat="restaurants", first=100)
    expected = await db.fetchval("""
        select count(*) from businesses b where status = 'active' and deleted_at is null
           and b.primary_category_id = any(api_private.category_subtree_ids('restaurants'))
            or (status = 'active' and deleted_at is null
                and b.secondary_category_ids && api_private.category_subtree_ids('restaurants'))""")
    assert result["totalCount"] == expected > 0
    for edge in result["edges"]:
        slugs = {c["slug"] for c in edge["node"]["categories"]} | {
            a["slug"] for c in edge["node"]["categories"] for a in c["ancestors"]}
        assert "restaurants" in slugs


async def test_open_now_respects_each_business_time_zone(client: GraphQLClient, db: asyncpg.Connection) -> None:
    result = await search(client, open=True, first=100)
    expected = await db.fetchval("select count(*) from businesses b where status = 'active'"
                                 " and deleted_at is null and api.is_open_now(b)")
    assert result["totalCount"] == expected
    assert all(e["node"]["isOpenNow"] for e in result["edges"])


async def test_nearest_open_now_are_sorted_by_distance_and_all_open(client: GraphQLClient,
                                                                      db: asyncpg.Connection) -> None:
    austin = {"latitude": 30.2672, "longitude": -97.7431}
    result = await search(client, near=austin, r=100000.0, sort="DISTANCE", open=True, first=100)
    distances = [e["node"]["distanceMeters"] for e in result["edges"]]
    assert distances == sorted(distances) and all(e["node"]["isOpenNow"] for e in result["edges"])
    expected = await db.fetchval(
        "select count(*) from businesses b where status = 'active' and deleted_at is null and api.is_open_now(b)"
        " and earth_distance(ll_to_earth($1, $2), b.geo) <= 100000", austin["latitude"], austin["longitude"])
    assert result["totalCount"] == expected


async def test_distance_sort_is_monotone_within_radius_and_matches_haversine(client: GraphQLClient) -> None:
    austin = {"latitude": 30.2672, "longitude": -97.7431}
    result = await search(client, near=austin, r=20000.0, sort="DISTANCE", first=100)
    distances = [e["node"]["distanceMeters"] for e in result["edges"]]
    assert distances and distances == sorted(distances) and distances[-1] <= 20000
    for edge in result["edges"]:
        loc = edge["node"]["location"]
        reference = haversine(austin["latitude"], austin["longitude"], loc["latitude"], loc["longitude"])
        assert abs(edge["node"]["distanceMeters"] - reference) <= 0.005 * reference + 0.01


async def test_search_pages_have_no_duplicates_or_gaps(client: GraphQLClient) -> None:
    for variables in ({"q": "pizza"}, {"q": "dentist", "sort": "RATING"},
                      {"near": {"latitude": 40.7128, "longitude": -74.006}, "r": 30000.0, "sort": "DISTANCE"},
                      {"sort": "REVIEW_COUNT", "cat": "home-services"}):
        whole = await search(client, first=100, **variables)
        assert whole["totalCount"] <= 100
        seen, after = [], None
        while True:
            page = await search(client, first=4, after=after, **variables)
            seen += [e["node"]["id"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == [e["node"]["id"] for e in whole["edges"]] and len(seen) == whole["totalCount"]


async def test_nearby_is_ordered_by_true_distance_with_bearing(client: GraphQLClient) -> None:
    chicago = {"latitude": 41.8781, "longitude": -87.6298}
    nearby = (await client.data("""query($near: GeoPointInput!) { nearbyBusinesses(near: $near, radiusMeters: 8000, first: 50) {
        totalCount edges { node { distanceMeters bearingDegrees location { latitude longitude } } } } }""",
                                {"near": chicago}))["nearbyBusinesses"]
    nodes = [e["node"] for e in nearby["edges"]]
    assert nodes and [n["distanceMeters"] for n in nodes] == sorted(n["distanceMeters"] for n in nodes)
    for n in nodes:
        loc = n["location"]
        assert abs(n["distanceMeters"] - haversine(chicago["latitude"], chicago["longitude"],
                                                   loc["latitude"], loc["longitude"])) <= 0.005 * n["distanceMeters"] + 0.01
        north = loc["latitude"] > chicago["latitude"]
        east = loc["longitude"] > chicago["longitude"]
        quadrant = 0 if north and east else 1 if east else 2 if not north else 3
        assert quadrant * 90 <= n["bearingDegrees"] <= quadrant * 90 + 90


async def test_autocomplete_finds_categories_cities_and_businesses(client: GraphQLClient) -> None:
    query = """query($p: String!, $near: GeoPointInput) { autocomplete(prefix: $p, near: $near, limit: 8) {
        kind label slug distanceMeters } }"""
    pizza = (await client.data(query, {"p": "piz"}))["autocomplete"]
    assert {"kind": "CATEGORY", "label": "Pizza"} in [{"kind": s["kind"], "label": s["label"]} for s in pizza]
    city = (await client.data(query, {"p": "chicgo"}))["autocomplete"]  # a typo
    assert "Chicago, IL" in [s["label"] for s in city]
    near = (await client.data(query, {"p": "the", "near": {"latitude": 47.6062, "longitude": -122.3321}}))["autocomplete"]
    businesses = [s for s in near if s["kind"] == "BUSINESS"]
    assert businesses and all(s["distanceMeters"] is not None for s in businesses)


async def test_a_misspelled_word_finds_what_it_meant_and_did_you_mean_when_nothing_is_found(
        client: GraphQLClient) -> None:
    misspelled, meant = await search(client, q="pitsa", first=50), await search(client, q="pizza", first=50)
    assert misspelled["totalCount"] == meant["totalCount"] > 0
    assert {e["node"]["id"] for e in misspelled["edges"]} == {e["node"]["id"] for e in meant["edges"]}
    assert misspelled["didYouMean"] is meant["didYouMean"] is None
    # Nothing within 2 km of a point at sea: the query spelled as the directory spells it.
    at_sea = await search(client, q="pitsa", near={"latitude": 35.0, "longitude": -40.0}, r=2000)
    assert at_sea["totalCount"] == 0 and at_sea["didYouMean"] == "pizza"


@pytest.mark.parametrize("query", ["", "   ", "!!!", "& | ! : * ( )", "pizza & (", "'; drop table businesses; --",
                                   "\\", "ピザ", "a:*"])
async def test_awkward_queries_are_answered_not_errors(client: GraphQLClient, query: str) -> None:
    result = await search(client, q=query, first=5)
    assert result["totalCount"] >= 0


async def test_blank_query_is_a_browse(client: GraphQLClient, db: asyncpg.Connection) -> None:
    listed = await db.fetchval("select count(*) from businesses where status = 'active' and deleted_at is null")
    assert (await search(client, q="   "))["totalCount"] == listed


@pytest.mark.parametrize("variables, argument", [
    ({"q": "x" * 10000}, "query"),
    ({"near": {"latitude": 91, "longitude": 0}}, "near.latitude"),
    ({"near": {"latitude": 0, "longitude": 200}}, "near.longitude"),
    ({"near": {"latitude": 0, "longitude": 0}, "r": 0.0}, "radiusMeters"),
    ({"near": {"latitude": 0, "longitude": 0}, "r": -5.0}, "radiusMeters"),
    ({"near": {"latitude": 0, "longitude": 0}, "r": 1e9}, "radiusMeters"),
    ({"r": 100.0}, "radiusMeters"),
    ({"sort": "DISTANCE"}, "sort"),
    ({"first": 101}, "first"),
    ({"min": 7.0}, "minRating"),
])
async def test_bad_search_arguments_are_named(client: GraphQLClient, variables: dict, argument: str) -> None:
    body = await client.execute(SEARCH, variables)
    assert body["errors"][0]["extensions"]["argument"] == argument, body["errors"]


SET_AREAS = """mutation($id: ID!, $areas: JSON) { setServiceAreas(businessId: $id, areas: $areas) {
    business { id serviceAreas } errors { code field message } } }"""
# A square around downtown Austin with a square hole in it.
SQUARE = [[-97.80, 30.20], [-97.70, 30.20], [-97.70, 30.30], [-97.80, 30.30], [-97.80, 30.20]]
HOLE = [[-97.76, 30.24], [-97.74, 30.24], [-97.74, 30.26], [-97.76, 30.26], [-97.76, 30.24]]


@pytest.mark.parametrize("areas, problem", [
    ({"type": "Polygon", "coordinates": [[[-97.8, 30.2], [-97.7, 30.3], [-97.8, 30.3], [-97.7, 30.2], [-97.8, 30.2]]]},
     "Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[-97.8, 30.2], [-97.7, 30.2], [-97.7, 30.3], [-97.8, 30.3]]]}, "closed"),
    ({"type": "Polygon", "coordinates": [[[-97.8, 95.0], [-97.7, 30.2], [-97.7, 30.3], [-97.8, 95.0]]]}, "out of range"),
    ({"type": "Polygon", "coordinates": [[[-97.8, 30.2], [-97.7, 30.2], [-97.8, 30.2]]]}, "at least 4"),
    ({"type": "Point", "coordinates": [-97.8, 30.2]}, "Polygon"),
    ({"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}, "numbers"),
])
async def test_invalid_service_areas_are_refused(world: World, areas: dict, problem: str) -> None:
    payload = await world.owner.client.mutate(SET_AREAS, {"id": world.listed_id, "areas": areas})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "areas")]
    assert problem.lower() in payload["errors"][0]["message"].lower()


async def test_service_area_answers_match_shapely_for_random_points(world: World) -> None:
    payload = await world.owner.client.mutate(SET_AREAS, {"id": world.listed_id, "areas": {
        "type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [[[-97.60, 30.40], [-97.55, 30.40], [-97.55, 30.45], [-97.60, 30.40]]]]}})
    assert payload["errors"] == [] and payload["business"]["serviceAreas"]["type"] == "MultiPolygon"
    assert codes_of(await world.other.client.mutate(SET_AREAS, {"id": world.listed_id, "areas": None})) == ["FORBIDDEN"]
    shapes = [Polygon(SQUARE, [HOLE]), Polygon([[-97.60, 30.40], [-97.55, 30.40], [-97.55, 30.45], [-97.60, 30.40]])]
    rng = random.Random(5)
    points = [(rng.uniform(30.15, 30.5), rng.uniform(-97.85, -97.5)) for _ in range(400)]
    from gql.database import connect
    conn = await connect(world.url)
    try:
        answers = await conn.fetch(
            "select p.ord, api.serves_location(b, p.lat, p.lon) as serves from businesses b,"
            " unnest($2::float8[], $3::float8[]) with ordinality as p(lat, lon, ord) where b.id = $1 order by p.ord",
            world.listed_id, [p[0] for p in points], [p[1] for p in points])
    finally:
        await conn.close()
    expected = [any(s.contains(ShapelyPoint(lon, lat)) for s in shapes) for lat, lon in points]
    assert [a["serves"] for a in answers] == expected
    assert 20 < sum(expected) < len(points) - 20  # the sample exercises both answers
    # Through the API too, for a few points, and as a search filter.
    for lat, lon in points[:12]:
        served = await world.anonymous.data(
            f'{{ business(id: "{world.listed_id}") {{ servesLocation(latitude: {lat}, longitude: {lon}) }} }}')
        assert served["business"]["servesLocation"] == any(s.contains(ShapelyPoint(lon, lat)) for s in shapes)
    inside = await search(world.anonymous, serves={"latitude": 30.21, "longitude": -97.79})
    hole = await search(world.anonymous, serves={"latitude": 30.25, "longitude": -97.75})
    assert world.listed_id in [e["node"]["id"] for e in inside["edges"]]
    assert world.listed_id not in [e["node"]["id"] for e in hole["edges"]]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


AUTOCOMPLETE = "query($p: String!) { autocomplete(prefix: $p, limit: 8) { kind label } }"


async def test_a_new_city_and_name_are_suggested_at_once_and_a_moved_one_no_longer(world: World) -> None:
    from tests.test_policies import UPDATE_BUSINESS
    from tests.world import CREATE_BUSINESS

    async def cities(prefix: str) -> list[str]:
        found = (await world.anonymous.data(AUTOCOMPLETE, {"p": prefix}))["autocomplete"]
        return [s["label"] for s in found if s["kind"] == "CITY"]

    async def suggestion(word: str) -> str | None:
        conn = await asyncpg.connect(world.url)
        try:
            found: str | None = await conn.fetchval("select api.spelling_suggestion($1)", word)
            return found
        finally:
            await conn.close()

    created = await world.owner.client.mutate(CREATE_BUSINESS, {"input": world.business_input(
        name="Zephyrine Waffles", city="Quillamook Flats", state="OR"), "publish": True, "key": None})
    assert created["errors"] == []
    assert await cities("Quillam") == ["Quillamook Flats, OR"]
    assert await suggestion("zephyrene") == "zephyrine"
    moved = await world.owner.client.mutate(UPDATE_BUSINESS, {
        "id": created["business"]["id"], "v": 1,
        "input": world.business_input(name="Marigold Waffles", city="Brindlecombe", state="OR")})
    assert moved["errors"] == [], moved
    assert await cities("Quillam") == []
    assert await cities("Brindlec") == ["Brindlecombe, OR"]
    assert await suggestion("zephyrene") != "zephyrine"
    # Kept a change at a time, the vocabulary is what a rebuild from scratch makes.
    conn = await asyncpg.connect(world.url)
    try:
        kept = [await conn.fetch(f"select * from {t} order by 1, 2") for t in ("search_terms", "search_cities")]
        await conn.execute("select api_private.refresh_search_vocabulary()")
        assert kept == [await conn.fetch(f"select * from {t} order by 1, 2") for t in ("search_terms", "search_cities")]
    finally:
        await conn.close()


OPEN_AT = """query($q: String, $at: DateTime, $now: Boolean! = false, $cats: [String!], $cat: String) {
  searchBusinesses(query: $q, openAt: $at, openNow: $now, categorySlugs: $cats, categorySlug: $cat, first: 50) {
    totalCount edges { node { name } } } }"""


async def test_open_at_is_judged_in_each_business_time_zone_overnight_included(world: World) -> None:
    from tests.world import CREATE_BUSINESS

    word = "Quorndale"  # one word the two businesses share and nothing else has
    for name, zone, opens, closes in ((f"{word} Bagels", "America/New_York", "09:00", "17:00"),
                                      (f"{word} Izakaya", "Asia/Tokyo", "22:00", "02:00")):
        created = await world.owner.client.mutate(CREATE_BUSINESS, {"input": world.business_input(
            name=name, timezone=zone, hours=[{"day": "MONDAY", "opens": opens, "closes": closes}]),
            "publish": True, "key": None})
        assert created["errors"] == [], created

    async def open_at(at: str) -> set[str]:
        found = (await world.anonymous.data(OPEN_AT, {"q": word, "at": at}))["searchBusinesses"]
        return {e["node"]["name"] for e in found["edges"]}

    # Monday 7 December 2026: 14:00 UTC is 09:00 in New York and 23:00 in Tokyo.
    assert await open_at("2026-12-07T14:00:00Z") == {f"{word} Bagels", f"{word} Izakaya"}
    # 16:30 UTC: 11:30 in New York, and 01:30 on Tuesday in Tokyo, still Monday night's hours.
    assert await open_at("2026-12-07T11:30:00-05:00") == {f"{word} Bagels", f"{word} Izakaya"}
    # 17:30 UTC: 12:30 in New York; 02:30 in Tokyo, closed.
    assert await open_at("2026-12-07T17:30:00Z") == {f"{word} Bagels"}
    # 03:00 UTC: Sunday evening in New York, Monday noon in Tokyo: neither.
    assert await open_at("2026-12-07T03:00:00Z") == set()


async def test_several_categories_at_once(client: GraphQLClient, db: asyncpg.Connection) -> None:
    slugs = [r["slug"] for r in await db.fetch(
        "select slug from categories where parent_id is not null order by business_count desc limit 2")]
    each = [(await client.data(OPEN_AT, {"cat": slug}))["searchBusinesses"]["totalCount"] for slug in slugs]
    both = (await client.data(OPEN_AT, {"cats": slugs}))["searchBusinesses"]["totalCount"]
    overlap = await db.fetchval("""
        select count(*) from businesses b where status = 'active' and deleted_at is null
           and (select count(*) from categories c where c.slug = any($1::text[])
                  and c.id = any(array[b.primary_category_id] || b.secondary_category_ids)) = 2""", slugs)
    assert max(each) > 0 and both == sum(each) - overlap


@pytest.mark.parametrize("variables, argument", [
    ({"at": "2026-12-07T14:00:00"}, "openAt"),  # no offset
    ({"at": "1990-01-01T00:00:00Z"}, "openAt"),
    ({"at": "2026-12-07T14:00:00Z", "now": True}, "openAt"),
    ({"cats": []}, "categorySlugs"),
    ({"cats": ["pizza"], "cat": "pizza"}, "categorySlugs"),
])
async def test_bad_open_at_and_categories_are_named(client: GraphQLClient, variables: dict, argument: str) -> None:
    body = await client.execute(OPEN_AT, variables)
    assert body["errors"][0]["extensions"]["argument"] == argument, body["errors"]


NEARBY_PAGE = """query($near: GeoPointInput!, $after: String) {
  nearbyBusinesses(near: $near, radiusMeters: 1000, first: 1, after: $after) {
    edges { node { id distanceMeters } } pageInfo { hasNextPage endCursor } } }"""


async def test_businesses_at_one_point_are_paged_nearby_each_once_in_id_order(world: World) -> None:
    from tests.world import CREATE_BUSINESS

    point = {"latitude": 44.1001, "longitude": -103.2002}  # nothing else of the world is near
    created = []
    for n in range(3):  # one building, three businesses: three equal distances
        payload = await world.owner.client.mutate(CREATE_BUSINESS, {"input": world.business_input(
            name=f"Tenant {n}", latitude=point["latitude"], longitude=point["longitude"]),
            "publish": True, "key": None})
        assert payload["errors"] == [], payload
        created.append(payload["business"]["id"])
    seen, after = [], None
    while True:
        page = (await world.anonymous.data(NEARBY_PAGE, {"near": point, "after": after}))["nearbyBusinesses"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(created)


async def test_a_name_in_another_script_is_found(world: World) -> None:
    from tests.world import CREATE_BUSINESS

    created = await world.owner.client.mutate(CREATE_BUSINESS, {"input": world.business_input(
        name="Пельменная Сибирь"), "publish": True, "key": None})
    assert created["errors"] == [], created
    for query in ("Пельменная", "Пельменная Сибирь!", "Сибирь & (x"):
        found = await search(world.anonymous, q=query)
        assert created["business"]["id"] in [e["node"]["id"] for e in found["edges"]], query
