"""Rich listings through the API: photos, logo and cover, price level, attributes, social links
and badges, edited by owners and managers with each bad value refused naming its field, and
found with the priceLevels and attributes filters (both executors answer alike)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import GraphQLClient, ServerThread
from tests.test_policies import new_business
from tests.world import World

LISTING = "photos { url caption primary } logoUrl coverUrl priceLevel attributes socialLinks { platform url } badges"
UPDATE = f"""mutation($id: ID!, $input: BusinessInput!, $v: Int!) {{
  updateBusiness(id: $id, input: $input, expectedVersion: $v) {{
    business {{ version {LISTING} }} errors {{ field code message }} }} }}"""
READ = f'query Listing($id: ID!) {{ business(id: $id) {{ {LISTING} }} }}'
RICH = {
    "photos": [{"url": "https://img.example.com/a.jpg", "caption": "Front"},
               {"url": "https://img.example.com/b.jpg", "primary": True},
               {"url": "http://img.example.com/c.jpg", "caption": "  Oven  "}],
    "logoUrl": "https://img.example.com/logo.png", "coverUrl": "https://img.example.com/cover.jpg",
    "priceLevel": 2, "attributes": ["WIFI", "TAKEOUT", "WIFI"],
    "socialLinks": [{"platform": "INSTAGRAM", "url": "https://instagram.com/shop"}],
}


async def edit(world: World, business_id: str, version: int, who: str = "owner", **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = await getattr(world, who).client.mutate(
        UPDATE, {"id": business_id, "input": fields, "v": version})
    return payload


async def test_an_owner_and_a_manager_edit_the_listing_and_everyone_reads_it(world: World) -> None:
    business_id = await new_business(world)
    saved = await edit(world, business_id, 1, **RICH)
    assert saved["errors"] == []
    expected = {
        "photos": [{"url": "https://img.example.com/a.jpg", "caption": "Front", "primary": False},
                   {"url": "https://img.example.com/b.jpg", "caption": None, "primary": True},
                   {"url": "http://img.example.com/c.jpg", "caption": "Oven", "primary": False}],
        "logoUrl": "https://img.example.com/logo.png", "coverUrl": "https://img.example.com/cover.jpg",
        "priceLevel": 2, "attributes": ["TAKEOUT", "WIFI"],
        "socialLinks": [{"platform": "INSTAGRAM", "url": "https://instagram.com/shop"}],
        "badges": ["CLAIMED"],
    }
    assert {k: v for k, v in saved["business"].items() if k != "version"} == expected
    assert (await world.anonymous.data(READ, {"id": business_id}))["business"] == expected  # (compiled)
    by_manager = await edit(world, business_id, 2, who="manager", photos=[], attributes=["PARKING"])
    assert by_manager["errors"] == [] and by_manager["business"]["photos"] == []
    assert by_manager["business"]["attributes"] == ["PARKING"]
    refused = await edit(world, business_id, 3, who="other", priceLevel=1)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]


async def test_a_first_photo_is_primary_when_none_is_marked_and_badges_follow_the_facts(world: World) -> None:
    business_id = await new_business(world)
    saved = await edit(world, business_id, 1, photos=[{"url": "https://img.example.com/only.jpg"}])
    assert saved["business"]["photos"][0]["primary"] is True
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("update businesses set verification_status = 'verified' where id = $1", business_id)
    finally:
        await conn.close()
    read = (await world.anonymous.data(READ, {"id": business_id}))["business"]
    assert read["badges"] == ["CLAIMED", "VERIFIED"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"photos": [{"url": "not a url"}]}, "photos"),
    ({"photos": [{"url": "javascript:alert(1)"}]}, "photos"),
    ({"photos": [{"url": f"https://img.example.com/{n}.jpg"} for n in range(21)]}, "photos"),
    ({"photos": [{"url": "https://a.example.com/1.jpg", "primary": True},
                 {"url": "https://a.example.com/2.jpg", "primary": True}]}, "photos"),
    ({"photos": [{"url": "https://a.example.com/1.jpg", "caption": "c" * 201}]}, "photos"),
    ({"logoUrl": "ftp://example.com/logo.png"}, "logoUrl"),
    ({"coverUrl": "https://example.com/" + "x" * 500}, "coverUrl"),
    ({"priceLevel": 7}, "priceLevel"),
    ({"priceLevel": 0}, "priceLevel"),
    ({"socialLinks": [{"platform": "X", "url": "https://x.com/a"}, {"platform": "X", "url": "https://x.com/b"}]},
     "socialLinks"),
    ({"socialLinks": [{"platform": "X", "url": "x.com/a"}]}, "socialLinks"),
])
async def test_bad_listing_values_are_refused_naming_the_field_and_change_nothing(
        world: World, fields: dict[str, Any], field: str) -> None:
    business_id = await new_business(world)
    refused = await edit(world, business_id, 1, name="Should not be saved", **fields)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(field, "VALIDATION")], refused
    unchanged = await world.anonymous.data(f'{{ business(id: "{business_id}") {{ name version }} }}')
    assert unchanged["business"]["version"] == 1 and unchanged["business"]["name"] != "Should not be saved"


async def test_an_unknown_attribute_is_refused_by_name(world: World) -> None:
    business_id = await new_business(world)
    body = await world.owner.client.execute(UPDATE, {"id": business_id, "input": {"attributes": ["JACUZZI"]}, "v": 1})
    assert body.get("data") is None and "JACUZZI" in body["errors"][0]["message"]


async def test_businesses_and_search_filter_by_price_level_and_attributes(world: World) -> None:
    cheap_wifi = await new_business(world)
    pricey_wifi = await new_business(world)
    cheap_plain = await new_business(world)
    marker = "Zanzibarian"
    for business_id, level, attributes in ((cheap_wifi, 1, ["WIFI", "PARKING"]), (pricey_wifi, 4, ["WIFI"]),
                                           (cheap_plain, 1, [])):
        saved = await edit(world, business_id, 1, priceLevel=level, attributes=attributes,
                           description=f"{marker} noodles and more")
        assert saved["errors"] == [], saved
    listing = """query($f: BusinessFilter) { businesses(filter: $f, first: 100) { totalCount edges { node { id } } } }"""
    search = """query($q: String, $p: [Int!], $a: [BusinessAttribute!]) {
      searchBusinesses(query: $q, priceLevels: $p, attributes: $a, first: 50) { totalCount edges { node { id } } } }"""
    cases = [({"priceLevels": [1]}, {cheap_wifi, cheap_plain}), ({"attributes": ["WIFI"]}, {cheap_wifi, pricey_wifi}),
             ({"priceLevels": [1, 4], "attributes": ["WIFI", "PARKING"]}, {cheap_wifi})]
    ours = {cheap_wifi, pricey_wifi, cheap_plain}
    # The world's server compiles these reads; a second one on the same database interprets them.
    interpreting = create_app(Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_COMPILED_READS": "0",
                                                 "GQL_DEBUG_SQL": "1"}), world.url)
    with ServerThread(interpreting) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for client in (world.anonymous, GraphQLClient(http)):
                for flt, expected in cases:
                    page = (await client.data(listing, {"f": flt}))["businesses"]
                    assert {e["node"]["id"] for e in page["edges"]} & ours == expected, flt
                    found = (await client.data(search, {"q": marker, "p": flt.get("priceLevels"),
                                                        "a": flt.get("attributes")}))["searchBusinesses"]
                    assert {e["node"]["id"] for e in found["edges"]} == expected
                    assert found["totalCount"] == len(expected)
            body = (await http.post("/graphql", json={"query": listing, "variables": {"f": cases[0][0]}})).json()
            assert body["extensions"]["executor"].startswith("interpreted")
    bad = await world.anonymous.execute(listing, {"f": {"priceLevels": [7]}})
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.priceLevels"}
    bad_search = await world.anonymous.execute(search, {"q": marker, "p": [], "a": None})
    assert bad_search["errors"][0]["extensions"]["argument"] == "priceLevels"


async def test_the_demo_data_has_rich_listings(seeded_url: str) -> None:
    conn = await asyncpg.connect(seeded_url)
    try:
        row = await conn.fetchrow(
            "select count(*) filter (where price_level is not null) as priced,"
            " count(*) filter (where cardinality(attributes) > 0) as with_attributes,"
            " count(*) filter (where jsonb_array_length(photos) > 0) as with_photos,"
            " count(*) filter (where social_links <> '{}') as with_links, count(*) as total from businesses")
    finally:
        await conn.close()
    assert row["priced"] > row["total"] * 0.8 and row["with_attributes"] > row["total"] * 0.5
    assert row["with_photos"] > row["total"] * 0.5 and row["with_links"] > row["total"] * 0.3
