"""Writes through the API: validation, optimistic concurrency, idempotency, reviews and their
votes, flags and moderation, the audit log, and the limits on what one query may ask."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from gql.database import connect
from tests.support import GraphQLClient
from tests.test_policies import (
    CREATE_REVIEW,
    UPDATE_BUSINESS,
    UPDATE_REVIEW,
    codes,
    new_business,
    published_review,
    superuser_row,
)
from tests.world import CREATE_BUSINESS, CREATE_CATEGORY, World, sign_up

VOTE = """mutation($id: ID!, $helpful: Boolean) {
  voteReview(reviewId: $id, helpful: $helpful) { review { helpfulCount notHelpfulCount } errors { code } } }"""
FLAG = """mutation($id: ID!) { flagReview(reviewId: $id, reason: "spam") { review { id } errors { code } } }"""
MODERATE = """mutation($id: ID!, $decision: ModerationDecision!) {
  moderateReview(id: $id, decision: $decision, note: "checked by a moderator") { review { status } errors { code } } }"""


async def count_businesses(world: World) -> int:
    row = await superuser_row(world, "select count(*) from businesses")
    return int(row[0])


@pytest.mark.parametrize("overrides, field", [
    ({"email": "not an email"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"latitude": 91, "longitude": 10}, "latitude"),
    ({"latitude": 10, "longitude": -181}, "longitude"),
    ({"latitude": 10}, "latitude"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"primaryCategoryId": str(uuid.uuid4())}, "primaryCategoryId"),
    ({"primaryCategoryId": "not-an-id"}, "primaryCategoryId"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"description": "x" * 5001}, "description"),
    ({"hours": [{"day": "MONDAY", "opens": "9am", "closes": "5pm"}]}, "hours"),
    ({"hours": [{"day": "MONDAY", "opens": "25:00", "closes": "26:00"}]}, "hours"),
    ({"specialHours": [{"date": "2026-12-25", "intervals": [{"opens": "x", "closes": "y"}]}]}, "specialHours"),
    ({"tags": [f"t{i}" for i in range(31)]}, "tags"),
    ({"serviceRadiusMeters": 0}, "serviceRadiusMeters"),
    ({"website": "https://example.com/\u202egpj.exe"}, "website"),
    ({"secondaryCategoryIds": [str(uuid.uuid4())]}, "secondaryCategoryIds"),
    ({"secondaryCategoryIds": [str(uuid.uuid4()) for _ in range(11)]}, "secondaryCategoryIds"),
])
async def test_invalid_business_input_names_the_field_and_creates_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    before = await count_businesses(world)
    payload = await world.owner.client.mutate(
        CREATE_BUSINESS, {"input": world.business_input(**overrides), "publish": True, "key": None})
    assert payload["business"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", field)], payload
    assert await count_businesses(world) == before


async def test_secondary_categories_are_kept_once_each(world: World) -> None:
    payload = await world.owner.client.mutate(CREATE_BUSINESS, {"input": world.business_input(
        secondaryCategoryIds=[world.category_id] * 3000 + [world.subcategory_id] * 5), "publish": True, "key": None})
    assert payload["errors"] == [], payload
    business_id = payload["business"]["id"]
    stored = await world.anonymous.data(f'{{ business(id: "{business_id}") {{ categories {{ slug }} }} }}')
    assert stored["business"]["categories"] == [{"slug": "pizza"}, {"slug": "food"}]  # (the primary is not a secondary)
    row = await superuser_row(world, "select secondary_category_ids from businesses where id = $1",
                              uuid.UUID(business_id))
    assert [str(c) for c in row[0]] == [world.category_id]


@pytest.mark.parametrize("text", [
    "Robert'); drop table businesses;--", "100% \\ _ % $1 $$ :: E'\\x00'", "Ünïcødé 🍕 ピザ ‮reversed",
    "<script>alert(1)</script>", "a" * 255,
])
async def test_hostile_text_is_stored_as_given(world: World, text: str) -> None:
    payload = await world.owner.client.mutate(
        CREATE_BUSINESS, {"input": world.business_input(name=text, description=text), "publish": True, "key": None})
    assert payload["errors"] == []
    business_id = payload["business"]["id"]
    stored = await world.anonymous.data(f'{{ business(id: "{business_id}") {{ name description slug }} }}')
    assert stored["business"]["name"] == text and stored["business"]["description"] == text
    assert stored["business"]["slug"].replace("-", "").isalnum()
    assert await superuser_row(world, "select to_regclass('businesses')") is not None


async def test_update_with_a_stale_version_conflicts_and_shows_the_current_business(world: World) -> None:
    business_id = await new_business(world)
    first = await world.owner.client.mutate(UPDATE_BUSINESS, {"id": business_id, "input": {"name": "Phone edit"}, "v": 1})
    assert first["errors"] == [] and first["business"]["version"] == 2
    stale = await world.manager.client.mutate(UPDATE_BUSINESS, {"id": business_id, "input": {"name": "Laptop edit"}, "v": 1})
    assert [(e["code"], e["field"]) for e in stale["errors"]] == [("VERSION_CONFLICT", "name")]
    assert stale["business"] == {"name": "Phone edit", "version": 2}
    assert (await superuser_row(world, "select name from businesses where id = $1", business_id))[0] == "Phone edit"


async def test_fifty_concurrent_updates_of_one_version_exactly_one_wins(world: World) -> None:
    business_id = await new_business(world)
    payloads = await asyncio.gather(*(
        world.owner.client.mutate(UPDATE_BUSINESS, {"id": business_id, "input": {"name": f"Edit {i}"}, "v": 1})
        for i in range(50)))
    winners = [p for p in payloads if not p["errors"]]
    assert len(winners) == 1
    assert all(codes(p) == ["VERSION_CONFLICT"] for p in payloads if p["errors"])
    row = await superuser_row(world, "select name, version from businesses where id = $1", business_id)
    assert (row["name"], row["version"]) == (winners[0]["business"]["name"], 2)


async def test_a_retried_create_with_the_same_key_creates_once(world: World) -> None:
    key = f"create-{uuid.uuid4()}"
    variables = {"input": world.business_input(name="Retried Pizza"), "publish": True, "key": key}
    first = await world.owner.client.mutate(CREATE_BUSINESS, variables)
    again = await world.owner.client.mutate(CREATE_BUSINESS, variables)
    assert first["errors"] == again["errors"] == [] and first["business"]["id"] == again["business"]["id"]
    count = await superuser_row(world, "select count(*) from businesses where name = 'Retried Pizza'")
    assert count[0] == 1
    # The same key from another user is theirs, not a replay.
    theirs = await world.other.client.mutate(CREATE_BUSINESS, variables)
    assert theirs["errors"] == [] and theirs["business"]["id"] != first["business"]["id"]
    # The same key for another operation is a mistake worth reporting.
    review = await world.owner.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": theirs["business"]["id"], "rating": 4, "content": "Nice"}, "key": key})
    assert [(e["code"], e["field"]) for e in review["errors"]] == [("VALIDATION", "idempotencyKey")]


async def test_concurrent_retries_with_one_key_create_one_review(world: World) -> None:
    business_id = await new_business(world)
    key = f"review-{uuid.uuid4()}"
    payloads = await asyncio.gather(*(
        world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
            "businessId": business_id, "rating": 4, "content": "Solid slice"}, "key": key})
        for _ in range(20)))
    assert all(p["errors"] == [] for p in payloads), [p["errors"] for p in payloads if p["errors"]]
    assert len({p["review"]["id"] for p in payloads}) == 1
    count = await superuser_row(world, "select count(*) from business_reviews where business_id = $1", business_id)
    assert count[0] == 1


async def test_one_review_per_user_per_business(world: World) -> None:
    review = await published_review(world)
    business_id = (await superuser_row(world, "select business_id from business_reviews where id = $1",
                                       review["id"]))[0]
    again = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": str(business_id), "rating": 1, "content": "Second opinion"}})
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "businessId")]


@pytest.mark.parametrize("rating", [0, 6, -1])
async def test_rating_out_of_range(world: World, rating: int) -> None:
    payload = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": world.listed_id, "rating": rating, "content": "Hmm"}})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "rating")]


async def test_rating_summary_follows_reviews(world: World) -> None:
    business_id = await new_business(world)
    query = f'{{ business(id: "{business_id}") {{ rating reviewCount ratingDistribution {{ rating count }} }} }}'
    review = await published_review(world, business_id)  # a 5
    other = await world.other.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 2, "content": "Cold pizza"}})
    assert other["errors"] == []
    summary = (await world.anonymous.data(query))["business"]
    assert summary["rating"] == 3.5 and summary["reviewCount"] == 2
    assert {d["rating"]: d["count"] for d in summary["ratingDistribution"]} == {5: 1, 4: 0, 3: 0, 2: 1, 1: 0}
    edited = await world.reviewer.client.mutate(UPDATE_REVIEW, {"id": review["id"], "input": {"rating": 4},
                                                                "v": review["version"]})
    assert edited["errors"] == []
    assert (await world.anonymous.data(query))["business"]["rating"] == 3.0


async def test_reviews_with_links_or_from_recently_rejected_authors_wait(world: World) -> None:
    business_id = await new_business(world)
    linked = await world.other.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 5, "content": "Coupons at www.spam.example"}})
    assert linked["review"]["status"] == "PENDING"
    rejected = await world.admin.client.mutate(MODERATE, {"id": linked["review"]["id"], "decision": "REJECT"})
    assert rejected["review"]["status"] == "REJECTED"
    plain = await world.other.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": await new_business(world), "rating": 5, "content": "Honest words"}})
    assert plain["review"]["status"] == "PENDING"  # rejected within 90 days


async def test_votes_are_one_per_user_and_changeable(world: World) -> None:
    review = await published_review(world)
    assert (await world.other.client.mutate(VOTE, {"id": review["id"], "helpful": True}))["review"] == \
        {"helpfulCount": 1, "notHelpfulCount": 0}
    assert (await world.other.client.mutate(VOTE, {"id": review["id"], "helpful": True}))["review"] == \
        {"helpfulCount": 1, "notHelpfulCount": 0}
    assert (await world.other.client.mutate(VOTE, {"id": review["id"], "helpful": False}))["review"] == \
        {"helpfulCount": 0, "notHelpfulCount": 1}
    assert (await world.owner.client.mutate(VOTE, {"id": review["id"], "helpful": True}))["review"] == \
        {"helpfulCount": 1, "notHelpfulCount": 1}
    assert (await world.other.client.mutate(VOTE, {"id": review["id"], "helpful": None}))["review"] == \
        {"helpfulCount": 1, "notHelpfulCount": 0}
    assert codes(await world.reviewer.client.mutate(VOTE, {"id": review["id"], "helpful": True})) == ["FORBIDDEN"]
    assert codes(await world.anonymous.mutate(VOTE, {"id": review["id"], "helpful": True})) == ["UNAUTHENTICATED"]


async def test_three_flags_hide_a_review_until_a_moderator_publishes_it(world: World) -> None:
    review = await published_review(world)
    query = f'{{ review(id: "{review["id"]}") {{ status }} }}'
    for flagger in (world.other, world.owner):
        assert (await flagger.client.mutate(FLAG, {"id": review["id"]}))["errors"] == []
    assert (await flagger.client.mutate(FLAG, {"id": review["id"]}))["errors"] == []  # a repeat counts once
    assert (await world.anonymous.data(query))["review"] == {"status": "PUBLISHED"}
    hidden = await world.manager.client.mutate(FLAG, {"id": review["id"]})
    assert hidden == {"review": None, "errors": []}
    assert (await world.anonymous.data(query))["review"] is None
    assert (await world.reviewer.client.data(query))["review"] == {"status": "PENDING"}
    assert codes(await world.other.client.mutate(MODERATE, {"id": review["id"], "decision": "PUBLISH"})) == ["FORBIDDEN"]
    published = await world.admin.client.mutate(MODERATE, {"id": review["id"], "decision": "PUBLISH"})
    assert published["review"] == {"status": "PUBLISHED"}
    assert (await world.anonymous.data(query))["review"] == {"status": "PUBLISHED"}
    # Flags before the moderator's decision no longer count: one more does not hide it again.
    latecomer = await sign_up(world.anonymous, f"late-{uuid.uuid4().hex[:8]}@example.com", "Late")
    await superuser_row(world, "update users set created_at = now() - interval '30 days' where id = $1 returning id",
                        latecomer.id)
    assert (await latecomer.client.mutate(FLAG, {"id": review["id"]}))["errors"] == []
    assert (await world.anonymous.data(query))["review"] == {"status": "PUBLISHED"}


async def test_reviews_are_rate_limited(world: World) -> None:
    person = world.manager  # writes no other reviews in these tests
    businesses = [await new_business(world) for _ in range(21)]
    conn = await connect(world.url)
    try:  # the manager of these would not be allowed to review them: hand them to someone else
        await conn.execute("delete from business_managers where user_id = $1 and business_id = any($2::uuid[])",
                           person.id, businesses)
    finally:
        await conn.close()
    results = [await person.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": b, "rating": 4, "content": "Fine"}}) for b in businesses]
    assert [codes(r) for r in results] == [[]] * 20 + [["RATE_LIMITED"]]


async def test_racing_reviews_are_accepted_up_to_the_limit_exactly(world: World) -> None:
    racer = await sign_up(world.anonymous, f"racer-{uuid.uuid4().hex[:8]}@example.com", "Racer")
    businesses = [await new_business(world) for _ in range(30)]
    assert world.server is not None
    # A client of their own: the racers' 30 connections stay out of the world's shared client.
    async with httpx.AsyncClient(base_url=world.server.url, timeout=30) as http:
        results = await asyncio.gather(*(GraphQLClient(http, racer.token).mutate(CREATE_REVIEW, {"input": {
            "businessId": b, "rating": 4, "content": "Fine"}}) for b in businesses))
    assert sorted(codes(r) for r in results) == [[]] * 20 + [["RATE_LIMITED"]] * 10


async def test_fresh_accounts_cannot_hide_a_review_by_flagging_it(world: World) -> None:
    review = await published_review(world)
    query = f'{{ review(id: "{review["id"]}") {{ status }} }}'
    for i in range(5):
        sybil = await sign_up(world.anonymous, f"sybil-{i}-{uuid.uuid4().hex[:8]}@example.com", "Sybil")
        assert (await sybil.client.mutate(FLAG, {"id": review["id"]}))["errors"] == []
    assert (await world.anonymous.data(query))["review"] == {"status": "PUBLISHED"}
    row = await superuser_row(world, "select flag_count from business_reviews where id = $1", review["id"])
    assert row is not None and row["flag_count"] == 5  # counted for moderators all the same


async def test_categories_move_and_refuse_cycles(world: World) -> None:
    parent = await world.admin.client.mutate(CREATE_CATEGORY, {"input": {"name": "Outer", "slug": f"o-{uuid.uuid4().hex[:6]}"}})
    child = await world.admin.client.mutate(CREATE_CATEGORY, {"input": {
        "name": "Inner", "slug": f"i-{uuid.uuid4().hex[:6]}", "parentId": parent["category"]["id"]}})
    move = """mutation($id: ID!, $parent: ID) { updateCategory(id: $id, input: {parentId: $parent}) {
        category { slug } errors { code field } } }"""
    cycle = await world.admin.client.mutate(move, {"id": parent["category"]["id"], "parent": child["category"]["id"]})
    assert [(e["code"], e["field"]) for e in cycle["errors"]] == [("VALIDATION", "parentId")]
    moved = await world.admin.client.mutate(move, {"id": child["category"]["id"], "parent": None})
    assert moved["errors"] == []
    data = await world.anonymous.data(f'{{ category(slug: "{child["category"]["slug"]}") {{ level ancestors {{ slug }} }} }}')
    assert data["category"] == {"level": 0, "ancestors": []}


async def test_the_audit_log_records_who_changed_what(world: World) -> None:
    business_id = await new_business(world)
    await world.manager.client.mutate(UPDATE_BUSINESS, {"id": business_id, "input": {"phone": "+1 512-555-0100"}, "v": 1})
    conn = await connect(world.url)
    try:
        rows = await conn.fetch("select action, user_id, changed_fields, new_values ->> 'phone' as phone"
                                " from audit_logs where table_name = 'businesses' and record_id = $1 order by id",
                                business_id)
        partitions = await conn.fetchval(
            "select count(*) from pg_inherits where inhparent = 'audit_logs'::regclass")
        partition_of_row = await conn.fetchval(
            "select tableoid::regclass::text from audit_logs where record_id = $1 limit 1", business_id)
    finally:
        await conn.close()
    assert [(r["action"], str(r["user_id"])) for r in rows] == [
        ("INSERT", world.owner.id), ("UPDATE", world.manager.id)]
    assert "phone" in rows[1]["changed_fields"] and "version" in rows[1]["changed_fields"]
    assert rows[1]["phone"] == "+1 512-555-0100"
    assert partitions >= 5  # default + this month + three ahead
    assert partition_of_row != "audit_logs_default"


async def test_query_depth_alias_and_size_limits(world: World) -> None:
    def nested(levels: int) -> str:  # `categories` is level 1, `slug` the last
        return "{ categories { " + "children { " * (levels - 2) + "slug" + " }" * (levels - 2) + " } }"

    assert (await world.anonymous.data(nested(12)))["categories"] is not None
    deep = nested(13)
    assert "more than 12 levels" in await world.anonymous.error(deep)
    aliases = "{ " + " ".join(f"a{i}: categories {{ slug }}" for i in range(31)) + " }"
    assert "aliases" in (await world.anonymous.error(aliases)).lower()
    huge = "{ categories { " + "slug " * 5001 + "} }"
    assert "token" in (await world.anonymous.error(huge)).lower()
    # Parsed and validated documents are cached: a refused one stays refused.
    assert "more than 12 levels" in await world.anonymous.error(deep)
    assert "token" in (await world.anonymous.error(huge)).lower()


@pytest.mark.parametrize("title, content", [
    ("Visit http://spam.example", "Fine food"),
    (None, "Cheap pills at cheap-pills-shop.com today"),
    (None, "Deals: \uff57\uff57\uff57\uff0e\uff53\uff50\uff41\uff4d\uff0d\uff53\uff48\uff4f\uff50\uff0e\uff43\uff4f\uff4d"),
])
async def test_links_in_titles_bare_domains_and_look_alikes_wait_for_moderation(
        world: World, title: str | None, content: str) -> None:
    review = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": await new_business(world), "rating": 4, "title": title, "content": content}})
    assert review["review"]["status"] == "PENDING", review


async def test_ordinary_text_with_dots_is_published(world: World) -> None:
    review = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": await new_business(world), "rating": 4, "title": "Great v2.0 menu",
        "content": "Open 9.30 to 5.30, e.g. on Sundays. Rated 4.5 by friends."}})
    assert review["review"]["status"] == "PUBLISHED", review
