"""The people of a business, through the API and from every role: what one runs
(myBusinesses, drafts included), managers invited by email, accepting and removed, and claims
of listings that have no owner, decided by administrators."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gql.commands.outbox import pending
from gql.database import connect
from tests.test_policies import new_business
from tests.world import World, sign_up

MINE = """query($first: Int!, $after: String) { myBusinesses(first: $first, after: $after) {
  items { business { id name status } role managers { displayName } } endCursor hasNextPage } }"""
INVITE = """mutation($b: ID!, $email: String!) { inviteManager(businessId: $b, email: $email) {
  invitation { id expiresAt } errors { field code message } } }"""
ACCEPT = """mutation($t: String!) { acceptManagerInvitation(token: $t) { business { id name } errors { field code message } } }"""
REMOVE = """mutation($b: ID!, $u: ID!) { removeManager(businessId: $b, userId: $u) { removed errors { field code } } }"""
CLAIM = """mutation($b: ID!, $m: String!) { claimBusiness(businessId: $b, message: $m) {
  claim { id status business { id } claimant { displayName } } errors { field code message } } }"""
DECIDE = """mutation($id: ID!, $approve: Boolean!, $note: String) { decideBusinessClaim(id: $id, approve: $approve, note: $note) {
  claim { id status decisionNote } errors { field code } } }"""
CLAIMS = """query($status: ClaimStatus!) { businessClaims(status: $status, first: 100) {
  items { id status business { id } } hasNextPage } }"""


def errors(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


async def mine(client: Any) -> dict[str, str]:
    """business id -> role, every page."""
    found: dict[str, str] = {}
    after = None
    while True:
        page = (await client.data(MINE, {"first": 2, "after": after}))["myBusinesses"]
        found |= {item["business"]["id"]: item["role"] for item in page["items"]}
        if not page["hasNextPage"]:
            return found
        after = page["endCursor"]


async def invitation_code(world: World, email: str) -> str:
    conn = await connect(world.url)
    try:
        key = world.server.server.config.app.state.graphql.settings.data_key  # type: ignore[union-attr]
        (message,) = [m for m in await pending(conn, key, 1000) if m.recipient == email
                      and m.kind == "manager_invitation"][-1:]
    finally:
        await conn.close()
    return message.body.rsplit(": ", 1)[1].strip()


async def test_my_businesses_lists_what_one_owns_and_manages_drafts_included(world: World) -> None:
    owned = await mine(world.owner.client)
    assert owned[world.listed_id] == "OWNER" and owned[world.draft_id] == "OWNER"
    managed = await mine(world.manager.client)
    assert managed[world.listed_id] == "MANAGER" and managed[world.draft_id] == "MANAGER"
    assert world.listed_id not in await mine(world.other.client)
    assert (await world.anonymous.data(MINE, {"first": 5}))["myBusinesses"]["items"] == []
    page = (await world.owner.client.data(MINE, {"first": 100}))["myBusinesses"]
    draft = next(i for i in page["items"] if i["business"]["id"] == world.draft_id)
    assert draft["business"]["status"] == "DRAFT" and {"displayName": "Manager"} in draft["managers"]
    bad = await world.owner.client.execute(MINE, {"first": 500})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_invited_manager_accepts_with_the_code_sent_to_their_address(world: World) -> None:
    business_id = await new_business(world)
    invitee = await sign_up(world.anonymous, f"invitee-{uuid.uuid4().hex[:8]}@example.com", "Invitee")
    sent = await world.owner.client.mutate(INVITE, {"b": business_id, "email": invitee.email})
    assert sent["errors"] == [] and sent["invitation"]["expiresAt"]
    code = await invitation_code(world, invitee.email)

    wrong_person = await world.reviewer.client.mutate(ACCEPT, {"t": code})
    assert errors(wrong_person) == [("token", "FORBIDDEN")]
    accepted = await invitee.client.mutate(ACCEPT, {"t": code})
    assert accepted["errors"] == [] and accepted["business"]["id"] == business_id
    assert (await mine(invitee.client))[business_id] == "MANAGER"
    again = await invitee.client.mutate(ACCEPT, {"t": code})
    assert errors(again) == [("token", "VALIDATION")] and "already" in again["errors"][0]["message"]
    assert errors(await invitee.client.mutate(ACCEPT, {"t": "made-up"})) == [("token", "VALIDATION")]


async def test_only_the_owner_invites_and_not_themselves(world: World) -> None:
    business_id = await new_business(world)
    for who, expected in ((world.manager, "FORBIDDEN"), (world.other, "FORBIDDEN"), (world.moderator, "FORBIDDEN")):
        refused = await who.client.mutate(INVITE, {"b": business_id, "email": "someone@example.com"})
        assert errors(refused) == [("businessId", expected)], who.email
    assert errors(await world.owner.client.mutate(INVITE, {"b": business_id, "email": world.owner.email})) == \
        [("email", "VALIDATION")]
    assert errors(await world.owner.client.mutate(INVITE, {"b": business_id, "email": world.manager.email})) == \
        [("email", "VALIDATION")], "already a manager"
    assert errors(await world.owner.client.mutate(INVITE, {"b": business_id, "email": "not an address"})) == \
        [("email", "VALIDATION")]
    anonymous = await world.anonymous.mutate(INVITE, {"b": business_id, "email": "someone@example.com"})
    assert errors(anonymous) == [(None, "UNAUTHENTICATED")]
    assert (await world.admin.client.mutate(INVITE, {"b": business_id, "email": "someone@example.com"}))["errors"] == []


async def test_the_owner_removes_a_manager_and_a_manager_may_leave(world: World) -> None:
    business_id = await new_business(world)  # (the world's manager manages it)
    helper = await sign_up(world.anonymous, f"helper-{uuid.uuid4().hex[:8]}@example.com", "Helper")
    conn = await connect(world.url)
    try:
        await conn.execute("insert into business_managers (business_id, user_id) values ($1, $2)",
                           business_id, helper.id)
    finally:
        await conn.close()
    refused = await world.manager.client.mutate(REMOVE, {"b": business_id, "u": helper.id})
    assert errors(refused) == [("businessId", "FORBIDDEN")]
    assert (await world.owner.client.mutate(REMOVE, {"b": business_id, "u": helper.id}))["removed"] is True
    assert business_id not in await mine(helper.client)
    assert errors(await world.owner.client.mutate(REMOVE, {"b": business_id, "u": helper.id})) == \
        [("userId", "NOT_FOUND")]
    assert (await world.manager.client.mutate(REMOVE, {"b": business_id, "u": world.manager.id}))["removed"] is True
    assert business_id not in await mine(world.manager.client)


async def test_a_listing_without_an_owner_is_claimed_and_an_administrator_decides(world: World) -> None:
    business_id = await new_business(world)
    conn = await connect(world.url)
    try:  # as demo or imported listings are: nobody owns it
        await conn.execute("update businesses set owner_id = null where id = $1", business_id)
    finally:
        await conn.close()
    first = await world.reviewer.client.mutate(CLAIM, {"b": business_id, "m": "I run this shop since 2019"})
    assert first["errors"] == [] and first["claim"]["status"] == "PENDING"
    assert errors(await world.reviewer.client.mutate(CLAIM, {"b": business_id, "m": "me again"})) == \
        [("businessId", "CONFLICT")]
    assert errors(await world.other.client.mutate(CLAIM, {"b": business_id, "m": ""})) == [("message", "VALIDATION")]
    rival = await world.other.client.mutate(CLAIM, {"b": business_id, "m": "It is my family's"})
    assert rival["errors"] == []
    assert {c["id"] for c in (await world.other.client.data(CLAIMS, {"status": "PENDING"}))["businessClaims"]["items"]} == \
        {rival["claim"]["id"]}, "a claimant sees their own claims only"
    pending_ids = {c["id"] for c in (await world.admin.client.data(CLAIMS, {"status": "PENDING"}))["businessClaims"]["items"]}
    assert {first["claim"]["id"], rival["claim"]["id"]} <= pending_ids

    for who in (world.moderator, world.owner, world.reviewer):
        assert errors(await who.client.mutate(DECIDE, {"id": first["claim"]["id"], "approve": True})) == \
            [(None, "FORBIDDEN")]
    assert errors(await world.admin.client.mutate(DECIDE, {"id": first["claim"]["id"], "approve": False})) == \
        [("note", "VALIDATION")]
    approved = await world.admin.client.mutate(DECIDE, {"id": first["claim"]["id"], "approve": True})
    assert approved["claim"]["status"] == "APPROVED"
    assert (await mine(world.reviewer.client))[business_id] == "OWNER"
    rejected = {c["id"] for c in (await world.admin.client.data(CLAIMS, {"status": "REJECTED"}))["businessClaims"]["items"]}
    assert rival["claim"]["id"] in rejected, "the other pending claim was rejected"
    owned = await world.other.client.mutate(CLAIM, {"b": business_id, "m": "once more"})
    assert errors(owned) == [("businessId", "CONFLICT")]
    twice = await world.admin.client.mutate(DECIDE, {"id": first["claim"]["id"], "approve": True})
    assert errors(twice) == [("id", "CONFLICT")]


async def test_a_removed_manager_cannot_come_back_with_an_older_invitation(world: World) -> None:
    business_id = await new_business(world)
    invitee = await sign_up(world.anonymous, f"twice-{uuid.uuid4().hex[:8]}@example.com", "Twice")
    conn = await connect(world.url)
    try:
        key = world.server.server.config.app.state.graphql.settings.data_key  # type: ignore[union-attr]
        codes = []
        for _ in range(2):
            assert (await world.owner.client.mutate(INVITE, {"b": business_id, "email": invitee.email}))["errors"] == []
            codes.append([m for m in await pending(conn, key, 1000) if m.recipient == invitee.email][-1]
                         .body.rsplit(": ", 1)[1].strip())
    finally:
        await conn.close()
    first, second = codes
    assert errors(await invitee.client.mutate(ACCEPT, {"t": first})) == [("token", "VALIDATION")], \
        "a newer invitation replaced it"
    assert (await invitee.client.mutate(ACCEPT, {"t": second}))["errors"] == []
    assert (await world.owner.client.mutate(REMOVE, {"b": business_id, "u": invitee.id}))["removed"] is True
    assert errors(await invitee.client.mutate(ACCEPT, {"t": second})) == [("token", "VALIDATION")]
    assert business_id not in await mine(invitee.client)

    withdrawn = await world.owner.client.mutate(INVITE, {"b": business_id, "email": invitee.email})
    revoke = """mutation($id: ID!) { revokeManagerInvitation(id: $id) { removed errors { field code } } }"""
    assert errors(await world.other.client.mutate(revoke, {"id": withdrawn["invitation"]["id"]})) == [("id", "NOT_FOUND")]
    assert (await world.owner.client.mutate(revoke, {"id": withdrawn["invitation"]["id"]}))["removed"] is True


async def test_two_administrators_approving_claims_of_one_listing_at_once_one_wins(world: World) -> None:
    business_id = await new_business(world)
    conn = await connect(world.url)
    try:
        await conn.execute("update businesses set owner_id = null where id = $1", business_id)
    finally:
        await conn.close()
    claims = [await who.client.mutate(CLAIM, {"b": business_id, "m": "mine"}) for who in (world.reviewer, world.other)]
    decided = await asyncio.gather(*(world.admin.client.mutate(DECIDE, {"id": c["claim"]["id"], "approve": True})
                                     for c in claims))
    outcomes = sorted((d["claim"]["status"] if d["claim"] else d["errors"][0]["code"]) for d in decided)
    assert outcomes == ["APPROVED", "CONFLICT"], decided
