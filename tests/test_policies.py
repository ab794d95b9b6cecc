"""Row-level security from both sides: each rule allowed and denied for anonymous, another
user, the owner, a manager and an admin, through the API and straight in SQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import pytest

from gql.database import connect
from tests.support import GraphQLClient
from tests.world import CREATE_BUSINESS, CREATE_CATEGORY, World

ROLES = ("anonymous", "other", "owner", "manager", "admin")

UPDATE_BUSINESS = """mutation($id: ID!, $input: BusinessInput!, $v: Int!) {
  updateBusiness(id: $id, input: $input, expectedVersion: $v) {
    business { name version } errors { field message code } } }"""
SET_STATUS = """mutation($id: ID!, $status: BusinessStatus!) {
  setBusinessStatus(id: $id, status: $status) { business { status } errors { code field } } }"""
DELETE_BUSINESS = """mutation($id: ID!) { deleteBusiness(id: $id) { deletedId errors { code } } }"""
CREATE_REVIEW = """mutation($input: CreateReviewInput!, $key: String) {
  createReview(input: $input, idempotencyKey: $key) {
    review { id status rating version } errors { field message code } } }"""
UPDATE_REVIEW = """mutation($id: ID!, $input: UpdateReviewInput!, $v: Int!) {
  updateReview(id: $id, input: $input, expectedVersion: $v) {
    review { content version status } errors { field message code } } }"""
RESPOND = """mutation($id: ID!, $content: String!) {
  respondToReview(reviewId: $id, content: $content) {
    review { response { content } } errors { code field } } }"""


def client_for(world: World, role: str) -> GraphQLClient:
    return world.anonymous if role == "anonymous" else getattr(world, role).client


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def new_business(world: World, publish: bool = True) -> str:
    payload = await world.owner.client.mutate(CREATE_BUSINESS, {
        "input": world.business_input(name=f"Shop {uuid.uuid4().hex[:6]}"), "publish": publish, "key": None})
    assert payload["errors"] == []
    business_id: str = payload["business"]["id"]
    conn = await connect(world.url)
    try:
        await conn.execute("insert into business_managers (business_id, user_id) values ($1, $2)",
                           business_id, world.manager.id)
    finally:
        await conn.close()
    return business_id


async def superuser_row(world: World, query: str, *args: Any) -> asyncpg.Record | None:
    conn = await connect(world.url)
    try:
        return await conn.fetchrow(query, *args)
    finally:
        await conn.close()


@pytest.mark.parametrize("role, sees", list(zip(ROLES, (False, False, True, True, True), strict=True)))
async def test_who_sees_a_draft(world: World, role: str, sees: bool) -> None:
    data = await client_for(world, role).data(f'{{ business(id: "{world.draft_id}") {{ name status }} }}')
    assert data["business"] == ({"name": "Draft Pizza", "status": "DRAFT"} if sees else None)


@pytest.mark.parametrize("role, outcome", list(zip(
    ROLES, ("UNAUTHENTICATED", "FORBIDDEN", None, None, None), strict=True)))
async def test_who_edits_a_listed_business(world: World, role: str, outcome: str | None) -> None:
    business_id = await new_business(world)
    before = await superuser_row(world, "select name, version from businesses where id = $1", business_id)
    payload = await client_for(world, role).mutate(
        UPDATE_BUSINESS, {"id": business_id, "input": {"name": f"Renamed by {role}"}, "v": before["version"]})
    after = await superuser_row(world, "select name, version from businesses where id = $1", business_id)
    if outcome is None:
        assert payload["errors"] == [] and payload["business"]["name"] == f"Renamed by {role}"
        assert after["version"] == before["version"] + 1
    else:
        assert codes(payload) == [outcome] and payload["business"] is None
        assert tuple(after) == tuple(before)


async def test_a_stranger_cannot_even_find_a_draft_to_edit(world: World) -> None:
    payload = await world.other.client.mutate(
        UPDATE_BUSINESS, {"id": world.draft_id, "input": {"name": "Mine now"}, "v": 1})
    assert codes(payload) == ["NOT_FOUND"]


@pytest.mark.parametrize("role, allowed", list(zip(ROLES, (False, False, False, False, True), strict=True)))
async def test_only_admins_suspend(world: World, role: str, allowed: bool) -> None:
    business_id = await new_business(world)
    payload = await client_for(world, role).mutate(SET_STATUS, {"id": business_id, "status": "SUSPENDED"})
    status = (await superuser_row(world, "select status from businesses where id = $1", business_id))["status"]
    assert (status == "suspended") is allowed
    assert (payload["errors"] == []) is allowed


async def test_owner_publishes_and_unpublishes_but_a_manager_may_not(world: World) -> None:
    business_id = await new_business(world, publish=False)
    assert codes(await world.manager.client.mutate(SET_STATUS, {"id": business_id, "status": "ACTIVE"})) == ["FORBIDDEN"]
    payload = await world.owner.client.mutate(SET_STATUS, {"id": business_id, "status": "ACTIVE"})
    assert payload == {"business": {"status": "ACTIVE"}, "errors": []}
    assert (await world.anonymous.data(f'{{ business(id: "{business_id}") {{ status }} }}'))["business"]
    await world.owner.client.mutate(SET_STATUS, {"id": business_id, "status": "DRAFT"})
    assert (await world.anonymous.data(f'{{ business(id: "{business_id}") {{ status }} }}'))["business"] is None


@pytest.mark.parametrize("role, outcome", list(zip(
    ROLES, ("UNAUTHENTICATED", "FORBIDDEN", None, "FORBIDDEN", None), strict=True)))
async def test_who_deletes_a_business(world: World, role: str, outcome: str | None) -> None:
    business_id = await new_business(world)
    payload = await client_for(world, role).mutate(DELETE_BUSINESS, {"id": business_id})
    deleted = (await superuser_row(world, "select deleted_at from businesses where id = $1", business_id))[0]
    assert codes(payload) == ([] if outcome is None else [outcome])
    assert (deleted is not None) is (outcome is None)
    if outcome is None:
        for viewer in ("anonymous", "owner", "manager"):
            seen = await client_for(world, viewer).data(f'{{ business(id: "{business_id}") {{ id }} }}')
            assert seen["business"] is None


@pytest.mark.parametrize("role, allowed", list(zip(ROLES, (False, False, False, False, True), strict=True)))
async def test_only_admins_write_categories(world: World, role: str, allowed: bool) -> None:
    slug = f"cat-{uuid.uuid4().hex[:6]}"
    payload = await client_for(world, role).mutate(CREATE_CATEGORY, {"input": {"name": slug, "slug": slug}})
    assert (payload["errors"] == []) is allowed
    exists = await superuser_row(world, "select 1 from categories where slug = $1", slug)
    assert (exists is not None) is allowed


async def pending_review(world: World) -> str:
    business_id = await new_business(world)
    payload = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 4, "content": "See my blog: https://example.com/pizza"}})
    assert payload["errors"] == [] and payload["review"]["status"] == "PENDING"
    review_id: str = payload["review"]["id"]
    return review_id


@pytest.mark.parametrize("role, sees", [("anonymous", False), ("other", False), ("owner", False),
                                        ("reviewer", True), ("admin", True)])
async def test_who_sees_a_pending_review(world: World, role: str, sees: bool) -> None:
    review_id = await pending_review(world)
    client = world.reviewer.client if role == "reviewer" else client_for(world, role)
    review = (await client.data(f'{{ review(id: "{review_id}") {{ status }} }}'))["review"]
    assert review == ({"status": "PENDING"} if sees else None)


async def published_review(world: World, business_id: str | None = None) -> dict[str, Any]:
    business_id = business_id or await new_business(world)
    payload = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 5, "content": "Great crust, friendly staff."}})
    assert payload["errors"] == [] and payload["review"]["status"] == "PUBLISHED"
    review: dict[str, Any] = payload["review"]
    return review


@pytest.mark.parametrize("role, outcome", [("anonymous", "UNAUTHENTICATED"), ("other", "FORBIDDEN"),
                                           ("owner", "FORBIDDEN"), ("reviewer", None), ("admin", None)])
async def test_who_edits_a_review(world: World, role: str, outcome: str | None) -> None:
    review = await published_review(world)
    client = world.reviewer.client if role == "reviewer" else client_for(world, role)
    payload = await client.mutate(UPDATE_REVIEW, {"id": review["id"], "input": {"content": f"Edited by {role}"},
                                                  "v": review["version"]})
    stored = await superuser_row(world, "select content from business_reviews where id = $1", review["id"])
    assert codes(payload) == ([] if outcome is None else [outcome])
    assert (stored["content"] == f"Edited by {role}") is (outcome is None)


async def test_a_review_can_be_edited_for_30_days_only(world: World) -> None:
    review = await published_review(world)
    conn = await connect(world.url)
    try:
        await conn.execute("update business_reviews set created_at = now() - interval '31 days' where id = $1",
                           review["id"])
    finally:
        await conn.close()
    version = (await superuser_row(world, "select version from business_reviews where id = $1", review["id"]))[0]
    payload = await world.reviewer.client.mutate(
        UPDATE_REVIEW, {"id": review["id"], "input": {"rating": 1}, "v": version})
    assert codes(payload) == ["FORBIDDEN"] and "30 days" in payload["errors"][0]["message"]
    stored = await superuser_row(world, "select rating from business_reviews where id = $1", review["id"])
    assert stored["rating"] == 5


@pytest.mark.parametrize("role, outcome", list(zip(
    ROLES, ("UNAUTHENTICATED", "FORBIDDEN", None, None, "FORBIDDEN"), strict=True)))
async def test_who_responds_to_a_review(world: World, role: str, outcome: str | None) -> None:
    review = await published_review(world)
    payload = await client_for(world, role).mutate(RESPOND, {"id": review["id"], "content": f"Thanks from {role}"})
    assert codes(payload) == ([] if outcome is None else [outcome])
    if outcome is None:
        assert payload["review"]["response"] == {"content": f"Thanks from {role}"}
    response = await superuser_row(world, "select content from review_responses where review_id = $1", review["id"])
    assert (response is not None) is (outcome is None)


async def test_owners_cannot_review_their_own_business(world: World) -> None:
    for person in (world.owner, world.manager):
        payload = await person.client.mutate(CREATE_REVIEW, {"input": {
            "businessId": world.listed_id, "rating": 5, "content": "Best place ever"}})
        assert codes(payload) == ["FORBIDDEN"]


async def as_request(world: World, role: str, user_id: str | None, query: str, *args: Any) -> Any:
    """Run SQL as the API would for this identity: request role and claims, transaction-local."""
    conn = await connect(world.url)
    try:
        async with conn.transaction():
            claims = {"sub": user_id, "roles": ["admin"] if role == "gql_admin" else []} if user_id else {}
            await conn.execute("select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)",
                               role, json.dumps(claims))
            return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_policies_hold_in_sql_for_statements_the_api_never_sends(world: World) -> None:
    other = world.other.id
    # Another user can neither see nor change someone else's rows, whatever SQL they run.
    assert await as_request(world, "gql_user", other, "select id from businesses where id = $1", world.draft_id) == []
    assert await as_request(world, "gql_user", other,
                            "update businesses set name = 'hacked' where id = $1 returning id", world.listed_id) == []
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_request(world, "gql_user", other,
                         "insert into business_reviews (business_id, author_id, rating, content)"
                         " values ($1, $2, 5, 'sock puppet')", world.listed_id, world.owner.id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_request(world, "gql_user", other,
                         "insert into businesses (slug, name, primary_category_id, city, state, owner_id)"
                         " values ('x', 'x', $1, 'A', 'B', $2)", world.subcategory_id, world.owner.id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # e-mails are not public
        await as_request(world, "gql_user", other, "select email_sealed, email_lookup from users")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # anonymous writes nothing
        await as_request(world, "gql_anonymous", None, "update businesses set name = 'x'")
    # A guard stops owners from promoting themselves.
    with pytest.raises(asyncpg.PostgresError, match="only administrators"):
        await as_request(world, "gql_user", world.owner.id,
                         "update businesses set subscription_tier = 'elite' where id = $1", world.listed_id)
    # ... and the rightful owner is allowed the same kind of statement for an editable column.
    rows = await as_request(world, "gql_user", world.owner.id,
                            "update businesses set description = 'x' where id = $1 returning id", world.listed_id)
    assert len(rows) == 1
    # The admin role sees everything, drafts and deleted included.
    assert len(await as_request(world, "gql_admin", world.admin.id,
                                "select id from businesses where id = $1", world.draft_id)) == 1
