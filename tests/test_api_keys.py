"""API keys through the API: made by a signed-in user and shown once, a key acts as its user
within its scopes and businesses (the database refuses the rest), is counted and rate-limited,
and is refused at once when revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from gql.app import create_app
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import FeedClient, GraphQLClient, ServerThread, wait_for
from tests.test_policies import UPDATE_BUSINESS
from tests.world import World

CREATE = """mutation($name: String!, $scopes: [ApiKeyScope!]!, $b: [ID!], $e: DateTime) {
  createApiKey(name: $name, scopes: $scopes, businessIds: $b, expiresAt: $e) {
    created { secret key { id prefix scopes businessIds requestCount } } errors { field code message } } }"""
REVOKE = """mutation($id: ID!) { revokeApiKey(id: $id) { key { revokedAt } errors { code } } }"""


async def make_key(world: World, scopes: list[str], businesses: list[str] | None = None) -> dict[str, Any]:
    made = await world.owner.client.mutate(CREATE, {"name": "booking system", "scopes": scopes, "b": businesses})
    assert made["errors"] == [], made
    created: dict[str, Any] = made["created"]
    assert created["secret"].startswith(created["key"]["prefix"])
    return created


def as_key(world: World, created: dict[str, Any]) -> GraphQLClient:
    return world.anonymous.as_user(created["secret"])


async def test_a_read_key_reads_as_its_user_and_cannot_write(world: World) -> None:
    reader = as_key(world, await make_key(world, ["READ"]))
    draft = await reader.data(f'{{ business(id: "{world.draft_id}") {{ name status }} }}')
    assert draft["business"] == {"name": "Draft Pizza", "status": "DRAFT"}, "the owner's draft, as the owner"
    refused = await reader.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"name": "Key edit"}, "v": 1})
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"] and "write:business" in refused["errors"][0]["message"]
    no_keys = await reader.mutate(CREATE, {"name": "another", "scopes": ["READ"], "b": None})
    assert [e["code"] for e in no_keys["errors"]] == ["FORBIDDEN"], "a key cannot make keys"
    for account_business in ('mutation { signOutEverywhere { sessionsEnded errors { code } } }',
                             'mutation { requestEmailVerification { accepted errors { code } } }'):
        assert [e["code"] for e in (await reader.mutate(account_business))["errors"]] == ["FORBIDDEN"]
    other_key = await make_key(world, ["READ"])
    refused_revoke = await reader.mutate(REVOKE, {"id": other_key["key"]["id"]})
    assert [e["code"] for e in refused_revoke["errors"]] == ["FORBIDDEN"], "nor revoke them"


async def test_a_key_for_one_business_writes_that_one_only(world: World) -> None:
    writer = as_key(world, await make_key(world, ["WRITE_BUSINESS"], [world.listed_id]))
    version = (await world.anonymous.data(f'{{ business(id: "{world.listed_id}") {{ version }} }}'))["business"]["version"]
    done = await writer.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"phone": "+1 512 555 0142"},
                                                 "v": version})
    assert done["errors"] == [], done
    other = await writer.mutate(UPDATE_BUSINESS, {"id": world.draft_id, "input": {"phone": "+1 512 555 0143"}, "v": 1})
    assert [e["code"] for e in other["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"])
    assert (await writer.data(f'{{ business(id: "{world.draft_id}") {{ id }} }}'))["business"] is None, \
        "the draft of another business is not the key's to see"
    created = await writer.mutate("""mutation($input: BusinessInput!) { createBusiness(input: $input) {
      business { id } errors { code } } }""", {"input": world.business_input(name="Via key")})
    assert [e["code"] for e in created["errors"]] == ["FORBIDDEN"]
    business_scope = await world.other.client.mutate(CREATE, {"name": "x", "scopes": ["READ"], "b": [world.listed_id]})
    assert [(e["field"], e["code"]) for e in business_scope["errors"]] == [("businessIds", "FORBIDDEN")]


async def test_revoked_expired_and_made_up_keys_are_refused(world: World) -> None:
    created = await make_key(world, ["READ"])
    key = as_key(world, created)
    assert (await key.http.post("/graphql", json={"query": "{ me { id } }"},
                                headers={"authorization": f"Bearer {created['secret']}"})).status_code == 200
    revoked = await world.owner.client.mutate(REVOKE, {"id": created["key"]["id"]})
    assert revoked["key"]["revokedAt"] is not None
    answer = await key.http.post("/graphql", json={"query": "{ me { id } }"},
                                 headers={"authorization": f"Bearer {created['secret']}"})
    assert answer.status_code == 401 and "revoked" in answer.json()["errors"][0]["message"]
    assert [e["code"] for e in (await world.other.client.mutate(REVOKE, {"id": created["key"]["id"]}))["errors"]] == \
        ["NOT_FOUND"], "another user cannot touch it"

    expiring = await make_key(world, ["READ"])
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("update api_keys set expires_at = now() - interval '1 second' where id = $1",
                           expiring["key"]["id"])
    finally:
        await conn.close()
    late = await key.http.post("/graphql", json={"query": "{ me { id } }"},
                               headers={"authorization": f"Bearer {expiring['secret']}"})
    assert late.status_code == 401 and "expired" in late.json()["errors"][0]["message"]
    made_up = await key.http.post("/graphql", json={"query": "{ me { id } }"},
                                  headers={"authorization": "Bearer gk_made-up"})
    assert made_up.status_code == 401 and "not valid" in made_up.json()["errors"][0]["message"]


@pytest.fixture
async def strict_server(world: World) -> AsyncIterator[ServerThread]:
    """The world's database behind a server that checks keys every 0.1 s and allows 5 a minute."""
    settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_ACCOUNT_RECHECK_SECONDS": "0.1",
                                  "GQL_API_KEY_REQUESTS_PER_MINUTE": "5"})
    with ServerThread(create_app(settings, world.url)) as server:
        yield server


async def test_requests_are_counted_and_limited_per_key(world: World, strict_server: ServerThread) -> None:
    created = await make_key(world, ["READ"])
    headers = {"authorization": f"Bearer {created['secret']}"}
    async with httpx.AsyncClient(base_url=strict_server.url) as http:
        statuses = [(await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)).status_code
                    for _ in range(7)]
        assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
        limited = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        assert limited.headers["retry-after"] == "1"

    async def counted() -> bool:  # (each process adds its count at its next look-up of the key)
        async with httpx.AsyncClient(base_url=strict_server.url) as http:
            await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        keys = (await world.owner.client.data("{ me { apiKeys { id requestCount lastUsedAt } } }"))["me"]["apiKeys"]
        (mine,) = [k for k in keys if k["id"] == created["key"]["id"]]
        return bool(mine["requestCount"] >= 5 and mine["lastUsedAt"])

    await wait_for(counted, timeout=20)


async def test_a_keys_open_socket_is_closed_when_it_is_revoked(world: World, strict_server: ServerThread) -> None:
    created = await make_key(world, ["READ"])
    async with FeedClient(strict_server.port, created["secret"]) as feed:
        await feed.subscribe("subscription { changes(topics: [CATEGORY]) { op } }")
        await world.owner.client.mutate(REVOKE, {"id": created["key"]["id"]})

        async def closed() -> bool:
            try:
                await feed.message(timeout=0.5)
            except websockets.ConnectionClosed as gone:
                return gone.rcvd is not None and gone.rcvd.code == 4403
            except TimeoutError:
                pass
            return False

        await wait_for(closed, timeout=15)


async def test_an_administrators_key_for_one_business_has_no_administrators_reach(world: World) -> None:
    made = await world.admin.client.mutate("""mutation($input: BusinessInput!) { createBusiness(input: $input, publish: true) {
      business { id } errors { code } } }""", {"input": world.business_input(name="Admin's own shop")})
    own = made["business"]["id"]
    created = (await world.admin.client.mutate(CREATE, {"name": "shop key", "scopes": ["WRITE_BUSINESS"], "b": [own]}))
    assert created["errors"] == [], created
    key = as_key(world, created["created"])
    version = (await world.anonymous.data(f'{{ business(id: "{world.listed_id}") {{ version }} }}'))["business"]["version"]
    elsewhere = await key.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"phone": "+1 512 555 0177"},
                                                   "v": version})
    assert [e["code"] for e in elsewhere["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"]), \
        "the administrator's powers do not come with a key limited to one business"
    suspend = await key.mutate("""mutation($id: ID!) { setBusinessStatus(id: $id, status: SUSPENDED) { errors { code } } }""",
                               {"id": world.listed_id})
    assert [e["code"] for e in suspend["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"])


VOTE = """mutation($id: ID!) { voteReview(reviewId: $id, helpful: false) { review { id } errors { code } } }"""
FLAG = """mutation($id: ID!) { flagReview(reviewId: $id, reason: "spam") { review { id } errors { code } } }"""
CLAIM = """mutation($b: ID!) { claimBusiness(businessId: $b, message: "mine") { errors { field code } } }"""
CREATE_REVIEW = """mutation($input: CreateReviewInput!) { createReview(input: $input) {
  review { id status } errors { field code } } }"""


async def published(world: World, who: GraphQLClient, name: str) -> str:
    made = await who.mutate("""mutation($input: BusinessInput!) { createBusiness(input: $input, publish: true) {
      business { id } errors { code } } }""", {"input": world.business_input(name=name)})
    assert made["errors"] == [], made
    business_id: str = made["business"]["id"]
    return business_id


async def test_a_key_without_read_writes_and_reads_only_what_the_public_may(world: World) -> None:
    writer = as_key(world, await make_key(world, ["WRITE_BUSINESS"]))
    draft = (await world.owner.client.data(f'{{ business(id: "{world.draft_id}") {{ version }} }}'))["business"]
    edited = await writer.mutate(UPDATE_BUSINESS, {"id": world.draft_id, "input": {"phone": "+1 512 555 0150"},
                                                   "v": draft["version"]})
    assert edited == {"business": None, "errors": []}, "written, but the draft is not the key's to read back"
    listed = (await world.anonymous.data(f'{{ business(id: "{world.listed_id}") {{ version }} }}'))["business"]
    shown = await writer.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"phone": "+1 512 555 0151"},
                                                  "v": listed["version"]})
    assert shown["errors"] == [] and shown["business"]["name"] == "Listed Pizza", "public: shown"
    assert (await writer.data(f'{{ business(id: "{world.draft_id}") {{ id }} }}'))["business"] is None
    assert (await writer.data("{ me { id } }"))["me"] is None
    refused = await writer.mutate("""mutation { claimBusiness(businessId: "00000000-0000-0000-0000-000000000000",
      message: "x") { errors { code } } }""")
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"], "writes still act as the user"


async def test_a_key_without_read_gets_no_private_changes_live(world: World) -> None:
    secret = (await make_key(world, ["WRITE_REVIEW"]))["secret"]
    async with FeedClient(world.port, secret) as feed:
        await feed.subscribe("subscription { changes(topics: [BUSINESS]) { entityId tombstone } }")
        draft = (await world.owner.client.data(f'{{ business(id: "{world.draft_id}") {{ version }} }}'))["business"]
        assert (await world.owner.client.mutate(UPDATE_BUSINESS, {
            "id": world.draft_id, "input": {"phone": "+1 512 555 0160"}, "v": draft["version"]}))["errors"] == []
        listed = (await world.anonymous.data(f'{{ business(id: "{world.listed_id}") {{ version }} }}'))["business"]
        assert (await world.owner.client.mutate(UPDATE_BUSINESS, {
            "id": world.listed_id, "input": {"phone": "+1 512 555 0161"}, "v": listed["version"]}))["errors"] == []
        (first,) = await feed.events(1)
        assert first["entityId"] == world.listed_id, "the draft's change is not the key's to see"


async def test_a_key_for_one_business_does_nothing_for_others(world: World) -> None:
    competitor = await published(world, world.other.client, "Competitor Pizza")
    review = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": competitor, "rating": 5, "content": "Lovely thin crust."}})
    assert review["errors"] == [], review
    unowned = await published(world, world.other.client, "Nobody's Pizza")
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("update businesses set owner_id = null where id = $1", unowned)
    finally:
        await conn.close()
    booking = as_key(world, await make_key(world, ["READ", "WRITE_REVIEW", "WRITE_BUSINESS"], [world.listed_id]))
    posted = await booking.mutate(CREATE_REVIEW, {"input": {"businessId": competitor, "rating": 1,
                                                            "content": "Awful, avoid."}})
    assert [(e["field"], e["code"]) for e in posted["errors"]] == [("businessId", "FORBIDDEN")]
    for mutation in (VOTE, FLAG):
        done = await booking.mutate(mutation, {"id": review["review"]["id"]})
        assert [e["code"] for e in done["errors"]] == ["FORBIDDEN"], mutation
    claimed = await booking.mutate(CLAIM, {"b": unowned})
    assert [(e["field"], e["code"]) for e in claimed["errors"]] == [("businessId", "FORBIDDEN")]
    counts = (await world.anonymous.data(f'{{ review(id: "{review["review"]["id"]}") {{ notHelpfulCount }} }}'))
    assert counts["review"] == {"notHelpfulCount": 0}, "nothing of it was done"


async def test_a_moderators_key_for_one_business_flags_as_anyone(world: World) -> None:
    own = await published(world, world.moderator.client, "Moderator's Bakery")
    review = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": own, "rating": 4, "content": "Good bread."}})
    assert review["errors"] == [], review
    created = (await world.moderator.client.mutate(CREATE, {"name": "shop", "scopes": ["WRITE_REVIEW"], "b": [own]}))
    assert created["errors"] == [], created
    flagged = await as_key(world, created["created"]).mutate(FLAG, {"id": review["review"]["id"]})
    assert flagged["errors"] == []
    seen = await world.anonymous.data(f'{{ review(id: "{review["review"]["id"]}") {{ id }} }}')
    assert seen["review"] == {"id": review["review"]["id"]}, "one flag of no moderator's weight hides nothing"


async def test_a_cached_key_is_refused_once_it_expires(world: World) -> None:
    """Even by a server that looks keys up again only every hour."""
    settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_ACCOUNT_RECHECK_SECONDS": "3600"})
    expires = datetime.now(UTC) + timedelta(seconds=2)
    created = await make_key(world, ["READ"])
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("update api_keys set expires_at = $2 where id = $1", created["key"]["id"], expires)
    finally:
        await conn.close()
    headers = {"authorization": f"Bearer {created['secret']}"}
    with ServerThread(create_app(settings, world.url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)).status_code == 200

            async def refused() -> bool:
                answer = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
                return answer.status_code == 401 and "expired" in answer.json()["errors"][0]["message"]

            await wait_for(refused, timeout=15)
            assert datetime.now(UTC) < expires + timedelta(seconds=10)


async def test_an_empty_business_list_is_refused_naming_the_argument(world: World) -> None:
    made = await world.owner.client.mutate(CREATE, {"name": "none", "scopes": ["READ"], "b": []})
    (error,) = made["errors"]
    assert error["field"] == "businessIds" and error["code"] == "VALIDATION"
    assert error["message"].startswith("businessIds ") and "apiKeys" not in error["message"]


async def test_a_hidden_drafts_report_is_answered_as_an_unknown_business(world: World) -> None:
    report = "query($id: ID!) { businessAnalytics(businessId: $id) { totalViews } }"
    for who in (world.anonymous, world.other.client):
        draft = (await who.execute(report, {"id": world.draft_id}))["errors"][0]
        unknown = (await who.execute(report, {"id": "00000000-0000-4000-8000-000000000000"}))["errors"][0]
        assert (draft["message"], draft["extensions"]["code"]) == (unknown["message"], unknown["extensions"]["code"])


async def test_a_key_for_one_business_lists_itself_and_its_own_webhooks_only(world: World) -> None:
    """The user's other keys and webhooks would tell its other businesses (their ids, endpoints)."""
    await make_key(world, ["READ"])  # another key of the user's, for all its businesses
    limited = await make_key(world, ["READ", "WEBHOOKS"], [world.listed_id])
    conn = await asyncpg.connect(world.url)
    try:  # (registered directly: this server resolves no endpoint's name)
        for url, key in (("https://example.com/all", None), ("https://example.com/one", limited["key"]["id"])):
            await conn.execute("""insert into webhook_subscriptions (user_id, api_key_id, url, topics, secret_sealed, cursor)
                                  values ($1, $2, $3, '{business}', '\\x00', 0)""", world.owner.id, key, url)
    finally:
        await conn.close()
    seen = (await as_key(world, limited).data("{ me { apiKeys { id } webhooks { url } } }"))["me"]
    assert seen == {"apiKeys": [{"id": limited["key"]["id"]}], "webhooks": [{"url": "https://example.com/one"}]}
    everything = (await world.owner.client.data("{ me { apiKeys { id } webhooks { url } } }"))["me"]
    assert len(everything["apiKeys"]) >= 2 and {"url": "https://example.com/all"} in everything["webhooks"]
