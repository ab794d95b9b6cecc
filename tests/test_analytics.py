"""Analytics: every figure of the owner's report equals a recomputation from the raw events;
only the business's people see it; concurrent events roll up exactly; limits hold."""

from __future__ import annotations

import asyncio
import json
import os
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from gql.database import connect, create_pool
from tests.test_policies import CREATE_REVIEW, new_business
from tests.world import World

REPORT = """query($id: ID!, $from: Date, $to: Date) { businessAnalytics(businessId: $id, from: $from, to: $to) {
  from to totalViews uniqueVisitors averageTimeOnPageSeconds bounceRate clickThroughRate
  clicks { call website directions share save }
  daily { date views uniqueVisitors clicks }
  topReferrers { referrer views }
  ratingDistribution { rating count }
  weeklyReviews { week reviews averageRating } } }"""
VIEW = """mutation($id: ID!, $visitor: String!, $ref: String, $t: Int, $bounced: Boolean!, $event: String) {
  recordBusinessView(businessId: $id, visitorId: $visitor, referrer: $ref, timeOnPageSeconds: $t,
                     bounced: $bounced, clientEventId: $event) { counted errors { code field } } }"""
CLICK = """mutation($id: ID!, $visitor: String!, $kind: ClickKind!, $event: String) {
  recordBusinessClick(businessId: $id, visitorId: $visitor, kind: $kind, clientEventId: $event) {
    counted errors { code field } } }"""


async def seed_traffic(world: World, business_id: str) -> None:
    """Ten days of traffic with gaps, duplicates by clientEventId, and today's through the API."""
    rng = random.Random(11)
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    conn = await connect(world.url)
    try:
        for days_ago in range(10):
            if days_ago in (3, 7):
                continue  # days with nothing at all
            at = today - timedelta(days=days_ago)
            for n in range(rng.randint(3, 12)):
                event = f"v-{days_ago}-{n}"
                for _ in range(2 if n % 4 == 0 else 1):  # some retried
                    await conn.execute("select api.record_business_view($1, $2, $3, $4, $5, $6, $7)",
                                       business_id, f"visitor-{rng.randint(1, 6)}",
                                       rng.choice([None, "google.com", "yelp.com", "bing.com", " maps.app "]),
                                       rng.choice([None, 5, 30, 120]), rng.random() < 0.3, event, at)
            for n in range(rng.randint(0, 5)):
                await conn.execute("select api.record_business_click($1, $2, $3, $4, $5)", business_id,
                                   f"visitor-{rng.randint(1, 6)}",
                                   rng.choice(["call", "website", "directions", "share", "save"]),
                                   f"c-{days_ago}-{n}", at)
    finally:
        await conn.close()
    for n in range(3):
        payload = await world.anonymous.mutate(VIEW, {"id": business_id, "visitor": "visitor-api", "ref": "google.com",
                                                      "t": 40, "bounced": False, "event": f"api-{n}"})
        assert payload == {"counted": True, "errors": []}
    again = await world.anonymous.mutate(VIEW, {"id": business_id, "visitor": "visitor-api", "ref": "google.com",
                                                "t": 40, "bounced": False, "event": "api-0"})
    assert again == {"counted": False, "errors": []}
    click = await world.anonymous.mutate(CLICK, {"id": business_id, "visitor": "visitor-api", "kind": "CALL", "event": "api-c"})
    assert click == {"counted": True, "errors": []}


async def expected_report(world: World, business_id: str, start: date, end: date) -> dict[str, Any]:
    """The report recomputed in Python from the raw events and reviews."""
    conn = await connect(world.url)
    try:
        views = [dict(r) for r in await conn.fetch(
            "select visitor_id, referrer, time_on_page_seconds, bounced, (occurred_at at time zone 'UTC')::date as day"
            " from business_view_events where business_id = $1", business_id)]
        clicks = [dict(r) for r in await conn.fetch(
            "select kind, (occurred_at at time zone 'UTC')::date as day from business_click_events"
            " where business_id = $1", business_id)]
        reviews = [dict(r) for r in await conn.fetch(
            "select rating, (created_at at time zone 'UTC')::date as day from business_reviews"
            " where business_id = $1 and status = 'published' and deleted_at is null", business_id)]
    finally:
        await conn.close()
    views = [v for v in views if start <= v["day"] <= end]
    clicks = [c for c in clicks if start <= c["day"] <= end]
    reviews = [r for r in reviews if start <= r["day"] <= end]
    by_kind = Counter(c["kind"] for c in clicks)
    timed = [v["time_on_page_seconds"] for v in views if v["time_on_page_seconds"] is not None]
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    referrers = Counter(v["referrer"].strip() for v in views if v["referrer"] and v["referrer"].strip())
    weeks: dict[date, list[int]] = {}
    for r in reviews:
        weeks.setdefault(r["day"] - timedelta(days=r["day"].weekday()), []).append(r["rating"])
    return {
        "from": start.isoformat(), "to": end.isoformat(), "totalViews": len(views),
        "uniqueVisitors": len({v["visitor_id"] for v in views}),
        "averageTimeOnPageSeconds": pytest.approx(sum(timed) / len(timed)) if timed else None,
        "bounceRate": pytest.approx(sum(v["bounced"] for v in views) / len(views)) if views else None,
        "clickThroughRate": pytest.approx((by_kind["call"] + by_kind["website"] + by_kind["directions"]) / len(views))
        if views else None,
        "clicks": {k: by_kind[k] for k in ("call", "website", "directions", "share", "save")},
        "daily": [{"date": d.isoformat(), "views": sum(v["day"] == d for v in views),
                   "uniqueVisitors": len({v["visitor_id"] for v in views if v["day"] == d}),
                   "clicks": sum(c["day"] == d for c in clicks)} for d in days],
        "topReferrers": [{"referrer": r, "views": n}
                         for r, n in sorted(referrers.items(), key=lambda x: (-x[1], x[0]))[:10]],
        "ratingDistribution": [{"rating": n, "count": sum(r["rating"] == n for r in reviews)} for n in (5, 4, 3, 2, 1)],
        "weeklyReviews": [{"week": w.isoformat(), "reviews": len(rs), "averageRating": pytest.approx(round(sum(rs) / len(rs), 2))}
                          for w, rs in sorted(weeks.items())],
    }


async def test_every_figure_equals_a_recomputation_from_raw_events(world: World) -> None:
    business_id = await new_business(world)
    await seed_traffic(world, business_id)
    for reviewer, rating in ((world.reviewer, 5), (world.other, 2)):
        created = await reviewer.client.mutate(CREATE_REVIEW, {"input": {"businessId": business_id, "rating": rating,
                                                                         "content": "Traffic test"}})
        assert created["errors"] == []
    today = datetime.now(UTC).date()
    for start, end in ((today - timedelta(days=9), today), (today - timedelta(days=6), today - timedelta(days=2)),
                       (today - timedelta(days=40), today - timedelta(days=20))):
        report = (await world.owner.client.data(REPORT, {"id": business_id, "from": start.isoformat(),
                                                         "to": end.isoformat()}))["businessAnalytics"]
        assert report == await expected_report(world, business_id, start, end)
    default = (await world.owner.client.data(REPORT, {"id": business_id}))["businessAnalytics"]
    assert len(default["daily"]) == 30 and default["to"] == today.isoformat()
    assert default["totalViews"] == (await expected_report(world, business_id, today - timedelta(days=29), today))["totalViews"]


@pytest.mark.parametrize("who, allowed", [("anonymous", False), ("other", False), ("owner", True),
                                         ("manager", True), ("admin", True)])
async def test_only_the_business_people_see_its_figures(world: World, who: str, allowed: bool) -> None:
    client = world.anonymous if who == "anonymous" else getattr(world, who).client
    body = await client.execute(REPORT, {"id": world.listed_id})
    if allowed:
        assert not body.get("errors") and body["data"]["businessAnalytics"]["daily"]
    else:
        assert body["data"] is None or body["data"].get("businessAnalytics") is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "totalViews" not in str(body)


async def test_concurrent_views_roll_up_exactly(world: World) -> None:
    business_id = await new_business(world)
    listing = """query($id: ID!) { business(id: $id) { version updatedAt } }"""
    before = await world.owner.client.data(listing, {"id": business_id})
    payloads = await asyncio.gather(*(
        world.anonymous.mutate(VIEW, {"id": business_id, "visitor": f"crowd-{i % 10}", "ref": None, "t": None,
                                      "bounced": False, "event": f"crowd-{i}"}) for i in range(40)))
    assert all(p == {"counted": True, "errors": []} for p in payloads)
    report = (await world.owner.client.data(REPORT, {"id": business_id}))["businessAnalytics"]
    assert (report["totalViews"], report["uniqueVisitors"]) == (40, 10)
    # Traffic is not an edit: the listing's version (an owner's pending edit) stays as it was.
    assert await world.owner.client.data(listing, {"id": business_id}) == before


@pytest.mark.parametrize("variables, argument", [
    ({"from": "2026-02-10", "to": "2026-02-01"}, "from"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
    ({"id": "not-an-id"}, "businessId"),
])
async def test_bad_report_arguments_are_named(world: World, variables: dict[str, str], argument: str) -> None:
    body = await world.owner.client.execute(REPORT, {"id": world.listed_id, **variables})
    assert body["errors"][0]["extensions"]["argument"] == argument


async def test_unknown_business_and_event_limits(world: World) -> None:
    body = await world.owner.client.execute(REPORT, {"id": str(uuid.uuid4())})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    missing = await world.anonymous.mutate(VIEW, {"id": str(uuid.uuid4()), "visitor": "x", "ref": None, "t": None,
                                                  "bounced": False, "event": None})
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "businessId")]
    bad = await world.anonymous.mutate(VIEW, {"id": world.listed_id, "visitor": "x", "ref": None, "t": -1,
                                              "bounced": False, "event": None})
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("VALIDATION", "timeOnPageSeconds")]
    visitor = f"flood-{uuid.uuid4().hex[:6]}"
    results = [await world.anonymous.mutate(VIEW, {"id": world.listed_id, "visitor": visitor, "ref": None, "t": None,
                                                   "bounced": False, "event": None}) for _ in range(121)]
    assert [r["errors"][0]["code"] if r["errors"] else None for r in results] == [None] * 120 + ["RATE_LIMITED"]


PLATFORM = """query { platformStats { refreshedAt weekly { week businesses reviews users }
  topCategories { slug activity } topCities { city state activity } } }"""


async def test_platform_stats_are_for_admins_and_count_growth(world: World) -> None:
    from gql.postgres.maintenance import STATS_LOCK_KEY, Retention, run_upkeep

    for who in (world.anonymous, world.owner.client):
        body = await who.execute(PLATFORM)
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    pool = await create_pool(world.url, min_size=1, max_size=2)
    try:
        assert await run_upkeep(pool, Retention()) is True
        async with pool.acquire() as holder:  # another process holding the lock: this one skips
            await holder.execute("select pg_advisory_lock($1)", STATS_LOCK_KEY)
            assert await run_upkeep(pool, Retention()) is False
            await holder.execute("select pg_advisory_unlock($1)", STATS_LOCK_KEY)
    finally:
        await pool.close()
    stats = (await world.admin.client.data(PLATFORM))["platformStats"]
    conn = await connect(world.url)
    try:
        businesses = await conn.fetchval(
            "select count(*) from businesses where created_at > now() - interval '29 days'")
        users = await conn.fetchval("select count(*) from users where created_at > now() - interval '29 days'")
    finally:
        await conn.close()
    assert sum(w["businesses"] for w in stats["weekly"]) == businesses
    assert sum(w["users"] for w in stats["weekly"]) == users
    assert stats["topCategories"][0]["slug"] == "food"  # the world's only top-level category with traffic
    assert {k: stats["topCities"][0][k] for k in ("city", "state")} == {"city": "Austin", "state": "TX"}


async def test_live_analytics_tick_at_most_once_a_second(world: World) -> None:
    from tests.support import FeedClient

    business_id = await new_business(world)
    subscription = """subscription($id: ID!) { analyticsUpdated(businessId: $id) {
        viewsToday uniqueVisitorsToday clicksToday totalViews } }"""
    async with FeedClient(world.port, world.other.token) as stranger:
        await stranger.subscribe(subscription, {"id": business_id})
        refused = await stranger.message()
        assert "FORBIDDEN" in str(refused) or "only the owner" in str(refused)
    async with FeedClient(world.port, world.owner.token) as owner:
        await owner.subscribe(subscription, {"id": business_id})
        (first,) = await owner.events(1)
        assert first["viewsToday"] == 0
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(
            world.anonymous.mutate(VIEW, {"id": business_id, "visitor": f"live-{i % 5}", "ref": None, "t": None,
                                          "bounced": False, "event": f"live-{i}"}) for i in range(30)))
        ticks = []
        while not ticks or ticks[-1]["viewsToday"] < 30:
            ticks += await owner.events(1, timeout=10)
        elapsed = asyncio.get_running_loop().time() - started
        assert ticks[-1] == {"viewsToday": 30, "uniqueVisitorsToday": 5, "clicksToday": 0, "totalViews": 30}
        assert len(ticks) <= elapsed + 1  # coalesced: however many views, at most one tick a second


OPERATIONS = """query($limit: Int!) { operationsReport(limit: $limit) { statementStatistics
  slowStatements { queryId functions calls meanMs totalMs rows } indexes { table index scans sizeBytes }
  tables { table liveRows deadRows sizeBytes lastAutovacuum } connections { application state count } } }"""


async def test_the_operations_report_is_for_administrators_and_shows_no_sql(world: World) -> None:
    for who in (world.anonymous, world.owner.client):
        body = await who.execute(OPERATIONS, {"limit": 10})
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    await world.anonymous.execute("""{ searchBusinesses(query: "pizza", first: 3) { totalCount } }""")
    report = (await world.admin.client.data(OPERATIONS, {"limit": 100}))["operationsReport"]
    if not os.environ.get("DATABASE_URL"):  # the embedded cluster preloads pg_stat_statements
        assert report["statementStatistics"] is True
        assert any("api.search_count" in s["functions"] for s in report["slowStatements"]), report["slowStatements"][:3]
    assert "select" not in json.dumps(report["slowStatements"]).lower()  # ids and function names, no SQL text
    assert {t["table"] for t in report["tables"]} >= {"businesses", "business_reviews"}
    assert any(c["application"] == "directory-gql" for c in report["connections"])
    assert any(i["index"] == "businesses_geo_text_idx" for i in report["indexes"])
    bad = await world.admin.client.execute(OPERATIONS, {"limit": 0})
    assert bad["errors"][0]["extensions"]["argument"] == "limit"
