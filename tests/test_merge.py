"""Concurrent edits that merge (seed 004, US-299-002): two devices editing different fields of
one business or review from the same version both succeed, and both subscribers see the
merged object; an edit of a field someone else changed since the version the editor read is
refused with VERSION_CONFLICT naming that field, with the current values."""

from __future__ import annotations

import asyncio
from typing import Any

from gql.database import connect
from tests.support import FeedClient
from tests.test_policies import UPDATE_REVIEW, new_business
from tests.world import World

UPDATE = """mutation($id: ID!, $input: BusinessInput!, $v: Int!) {
  updateBusiness(id: $id, input: $input, expectedVersion: $v) {
    business { name phone website version } errors { field message code } } }"""
WATCH = """subscription($id: ID!) { businessChanged(id: $id) {
  node { ... on Business { name phone website version } } } }"""
CREATE_REVIEW = """mutation($input: CreateReviewInput!) {
  createReview(input: $input) { review { id version } errors { code } } }"""


def fields_in_conflict(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def edit(world: World, who: str, business_id: str, version: int, **fields: Any) -> dict[str, Any]:
    client = getattr(world, who).client
    payload: dict[str, Any] = await client.mutate(UPDATE, {"id": business_id, "input": fields, "v": version})
    return payload


async def test_two_devices_edit_different_fields_from_one_version_and_both_see_the_merge(world: World) -> None:
    business_id = await new_business(world)
    async with FeedClient(world.port, world.owner.token) as phone, \
            FeedClient(world.port, world.manager.token) as laptop:
        for device in (phone, laptop):
            await device.subscribe(WATCH, {"id": business_id})
        # (a change made now reaches both: the subscriptions are live)
        await edit(world, "owner", business_id, 1, website="https://before.example")
        for device in (phone, laptop):
            assert (await device.events(1))[0]["node"]["version"] == 2
        owner, manager = await asyncio.gather(
            edit(world, "owner", business_id, 2, name="Emma's guest count"),
            edit(world, "manager", business_id, 2, phone="+1 512 555 0199"))
        assert owner["errors"] == [] and manager["errors"] == []
        merged = {"name": "Emma's guest count", "phone": "+1 512 555 0199", "website": "https://before.example",
                  "version": 4}
        for device in (phone, laptop):
            events = await device.events(2)
            assert events[-1]["node"] == merged
    stored = await world.anonymous.data(f'{{ business(id: "{business_id}") {{ name phone version }} }}')
    assert stored["business"] == {"name": merged["name"], "phone": merged["phone"], "version": 4}


async def test_the_same_field_from_one_version_one_wins_and_the_other_is_told_which_field(world: World) -> None:
    business_id = await new_business(world)
    first, second = await asyncio.gather(edit(world, "owner", business_id, 1, name="Jake's timeline", phone="+1 512 555 0123"),
                                         edit(world, "manager", business_id, 1, name="Emma's timeline"))
    (winner, loser) = (first, second) if not first["errors"] else (second, first)
    assert winner["errors"] == []
    assert ("VERSION_CONFLICT", "name") in fields_in_conflict(loser)
    assert "phone" not in {field for _, field in fields_in_conflict(loser)}
    assert loser["business"] == winner["business"], "the conflict shows the current values"


async def test_a_conflict_names_only_the_fields_changed_after_the_version_read(world: World) -> None:
    business_id = await new_business(world)
    assert (await edit(world, "owner", business_id, 1, name="Renamed"))["errors"] == []       # v2
    assert (await edit(world, "owner", business_id, 2, phone="+1 512 555 0100"))["errors"] == []  # v3
    # Read at v2: the name is what the editor saw, the phone is not.
    assert (await edit(world, "manager", business_id, 2, name="Renamed again"))["errors"] == []
    stale = await edit(world, "manager", business_id, 2, phone="+1 512 555 0111", website="https://x.example")
    assert fields_in_conflict(stale) == [("VERSION_CONFLICT", "phone")]
    assert stale["business"]["phone"] == "+1 512 555 0100" and stale["business"]["website"] is None, \
        "nothing of a refused edit is saved"
    nonsense = await edit(world, "owner", business_id, 99, website="https://x.example")
    assert fields_in_conflict(nonsense) == [("VALIDATION", "expectedVersion")]


async def test_a_row_last_changed_before_fields_were_tracked_conflicts_as_a_whole(world: World) -> None:
    business_id = await new_business(world)
    conn = await connect(world.url)
    try:  # as rows are after migration 0018: at some version, with no record of which field moved
        await conn.execute("set session_replication_role = replica")
        await conn.execute("update businesses set version = 5, field_versions = '{}' where id = $1", business_id)
    finally:
        await conn.close()
    assert fields_in_conflict(await edit(world, "owner", business_id, 3, phone="+1 512 555 0123")) == [("VERSION_CONFLICT", "phone")]
    assert (await edit(world, "owner", business_id, 5, phone="+1 512 555 0123"))["errors"] == []
    # From then on it is tracked: an edit from 5 of another field merges.
    assert (await edit(world, "manager", business_id, 5, website="https://y.example"))["errors"] == []


async def test_review_edits_of_different_fields_merge(world: World) -> None:
    business_id = await new_business(world)
    created = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 3, "content": "Fine pizza, slow service."}})
    review_id = created["review"]["id"]
    client = world.reviewer.client
    rating, content = await asyncio.gather(
        client.mutate(UPDATE_REVIEW, {"id": review_id, "input": {"rating": 4}, "v": 1}),
        client.mutate(UPDATE_REVIEW, {"id": review_id, "input": {"content": "Fine pizza, quick service."}, "v": 1}))
    assert rating["errors"] == [] and content["errors"] == []
    again = await client.mutate(UPDATE_REVIEW, {"id": review_id, "input": {"rating": 2}, "v": 1})
    assert fields_in_conflict(again) == [("VERSION_CONFLICT", "rating")]
    assert again["review"]["content"] == "Fine pizza, quick service." and again["review"]["version"] == 3


async def test_coupled_fields_conflict_with_each_other(world: World) -> None:
    """Coordinates (and an address) make one place: moving it from two devices at once is a
    conflict, not a place neither meant."""
    business_id = await new_business(world)
    a, b = await asyncio.gather(edit(world, "owner", business_id, 1, latitude=40.7, longitude=-73.9),
                                edit(world, "manager", business_id, 1, latitude=30.2, longitude=-97.7))
    assert sorted(bool(p["errors"]) for p in (a, b)) == [False, True]
    first = await edit(world, "owner", business_id, 2, city="Brooklyn")
    assert first["errors"] == []
    moved = await edit(world, "manager", business_id, 2, latitude=41.0, longitude=-74.0)
    assert fields_in_conflict(moved) == [("VERSION_CONFLICT", "latitude"), ("VERSION_CONFLICT", "longitude")]
    hours = await edit(world, "owner", business_id, 3, timezone="America/New_York")
    assert hours["errors"] == []
    clash = await edit(world, "manager", business_id, 3, hours=[{"day": "MONDAY", "opens": "10:00", "closes": "18:00"}])
    assert fields_in_conflict(clash) == [("VERSION_CONFLICT", "hours")]
