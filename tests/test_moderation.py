"""Moderation through the API: the queue of reviews waiting for a decision (pending, or
published with new flags), decisions recorded with who made them and why, and a moderator
role that may do exactly that: seen from every role."""

from __future__ import annotations

from typing import Any

from gql.database import connect
from tests.support import GraphQLClient
from tests.test_policies import CREATE_REVIEW, new_business
from tests.world import World

QUEUE = """query($first: Int!, $after: String) { moderationQueue(first: $first, after: $after) {
  items { review { id content status } waitingSince flags { reason } history { decision note moderator { displayName } } }
  endCursor hasNextPage } }"""
MODERATE = """mutation($id: ID!, $decision: ModerationDecision!, $note: String) {
  moderateReview(id: $id, decision: $decision, note: $note) { review { id status } errors { field code } } }"""
FLAG = """mutation($id: ID!, $reason: String!) { flagReview(reviewId: $id, reason: $reason) { errors { code } } }"""


async def review(world: World, author: GraphQLClient, content: str) -> str:
    created = await author.mutate(CREATE_REVIEW, {"input": {
        "businessId": await new_business(world), "rating": 4, "content": content}})
    assert created["errors"] == [], created
    review_id: str = created["review"]["id"]
    return review_id


async def waiting(client: GraphQLClient) -> list[dict[str, Any]]:
    """The whole queue, a page of two at a time."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await client.data(QUEUE, {"first": 2, "after": after}))["moderationQueue"]
        items += page["items"]
        if not page["hasNextPage"]:
            return items
        after = page["endCursor"]


async def test_the_queue_holds_pending_and_flagged_reviews_oldest_first(world: World) -> None:
    linked = await review(world, world.reviewer.client, "Great deals at www.example-deals.com")
    flagged = await review(world, world.other.client, "The owner is a fraud")
    quiet = await review(world, world.other.client, "Nice crust")
    assert (await world.manager.client.mutate(FLAG, {"id": flagged, "reason": "personal attack"}))["errors"] == []
    items = await waiting(world.moderator.client)
    ids = [item["review"]["id"] for item in items]
    assert linked in ids and flagged in ids and quiet not in ids
    assert ids.index(linked) < ids.index(flagged), "the longest waiting first"
    by_id = {item["review"]["id"]: item for item in items}
    assert by_id[linked]["review"]["status"] == "PENDING" and by_id[linked]["flags"] == []
    assert by_id[flagged]["flags"] == [{"reason": "personal attack"}]
    times = [item["waitingSince"] for item in items]
    assert times == sorted(times) and len(ids) == len(set(ids))
    assert [i["review"]["id"] for i in await waiting(world.admin.client)] == ids


async def test_a_decision_is_recorded_with_who_and_why_and_leaves_the_queue(world: World) -> None:
    flagged = await review(world, world.reviewer.client, "Rude staff, would not return")
    await world.manager.client.mutate(FLAG, {"id": flagged, "reason": "not a real visit"})
    no_reason = await world.moderator.client.mutate(MODERATE, {"id": flagged, "decision": "REJECT"})
    assert [(e["field"], e["code"]) for e in no_reason["errors"]] == [("note", "VALIDATION")]
    assert flagged in [i["review"]["id"] for i in await waiting(world.moderator.client)], "nothing changed"
    kept = await world.moderator.client.mutate(MODERATE, {"id": flagged, "decision": "PUBLISH",
                                                          "note": "a real visit, fair words"})
    assert kept["errors"] == [] and kept["review"]["status"] == "PUBLISHED"
    assert flagged not in [i["review"]["id"] for i in await waiting(world.moderator.client)]
    # Flagged again, it comes back with the earlier decision beside the new flag.
    await world.other.client.mutate(FLAG, {"id": flagged, "reason": "still rude"})
    (item,) = [i for i in await waiting(world.moderator.client) if i["review"]["id"] == flagged]
    assert item["flags"] == [{"reason": "still rude"}]
    assert item["history"] == [{"decision": "PUBLISH", "note": "a real visit, fair words",
                                "moderator": {"displayName": "Moderator"}}]


async def test_only_moderators_and_administrators_see_the_queue_and_decide(world: World) -> None:
    pending = await review(world, world.other.client, "Cheap pills at pills-shop.com")
    for person in (world.reviewer, world.owner, world.manager):
        body = await person.client.execute(QUEUE, {"first": 5})
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        refused = await person.client.mutate(MODERATE, {"id": pending, "decision": "PUBLISH", "note": "fine"})
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    anonymous = await world.anonymous.execute(QUEUE, {"first": 5})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert pending in [i["review"]["id"] for i in await waiting(world.moderator.client)], "nothing changed"
    rejected = await world.admin.client.mutate(MODERATE, {"id": pending, "decision": "REJECT", "note": "spam link"})
    assert rejected["review"]["status"] == "REJECTED"


async def test_a_moderator_may_do_nothing_more(world: World) -> None:
    moderator = world.moderator.client
    someone_elses = await review(world, world.reviewer.client, "Lovely terrace")
    edit = await moderator.mutate("""mutation($id: ID!) { updateReview(id: $id, input: {rating: 1}, expectedVersion: 1) {
      errors { code } } }""", {"id": someone_elses})
    assert [e["code"] for e in edit["errors"]] == ["FORBIDDEN"]
    category = await moderator.mutate("""mutation($id: ID!) { updateCategory(id: $id, input: {name: "Renamed"}) {
      errors { code } } }""", {"id": world.category_id})
    assert [e["code"] for e in category["errors"]] == ["FORBIDDEN"]
    suspend = await moderator.mutate("""mutation($id: ID!) { setBusinessStatus(id: $id, status: SUSPENDED) {
      errors { code } } }""", {"id": world.listed_id})
    assert [e["code"] for e in suspend["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"])
    for report in ("{ operationsReport { statementStatistics } }", "{ platformStats { refreshedAt } }"):
        body = await moderator.execute(report)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", report
    draft = await moderator.data(f'{{ business(id: "{world.draft_id}") {{ id }} }}')
    assert draft["business"] is None, "a moderator sees no one's drafts"


async def test_no_one_decides_on_their_own_review_or_one_of_a_business_they_run(world: World) -> None:
    own = await review(world, world.moderator.client, "My own words at my-own-site.com")
    refused = await world.moderator.client.mutate(MODERATE, {"id": own, "decision": "PUBLISH", "note": "fine"})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "FORBIDDEN")]
    conn = await connect(world.url)
    try:  # the moderator also manages a business; a review of it waits for someone else
        business_id = await new_business(world)
        await conn.execute("insert into business_managers (business_id, user_id) values ($1, $2)",
                           business_id, world.moderator.id)
    finally:
        await conn.close()
    created = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 1, "content": "Awful, see bad-reviews.com"}})
    theirs = await world.moderator.client.mutate(MODERATE, {"id": created["review"]["id"], "decision": "REJECT",
                                                            "note": "I do not like it"})
    assert [(e["field"], e["code"]) for e in theirs["errors"]] == [("id", "FORBIDDEN")]
    assert (await world.admin.client.mutate(MODERATE, {"id": own, "decision": "PUBLISH", "note": "ok"}))["errors"] == []
