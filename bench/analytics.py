"""Analytics at scale: bulk events (generated in SQL, rollups built set-wise), the p95 of a
90-day businessAnalytics report, and the sustained rate of recordBusinessView via GraphQL."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import asyncpg
import httpx

from bench.search import percentiles


async def generate_events(conn: asyncpg.Connection, events: int, businesses: int = 2000) -> dict[str, Any]:
    """`events` views spread over 90 days and `businesses` listed businesses, with rollups."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute("""
            create temporary table chosen on commit drop as
            select id, row_number() over () as n from (
                select id from businesses where status = 'active' and deleted_at is null
                 order by id limit $1) b""", businesses)
        await conn.execute("""
            insert into business_view_events (business_id, visitor_id, referrer, time_on_page_seconds,
                                              bounced, occurred_at)
            select c.id, 'bulk-' || (random() * 50000)::int,
                   (array['google.com', 'yelp.com', 'bing.com', null, 'maps.app'])[1 + (random() * 4)::int],
                   (random() * 300)::int, random() < 0.3,
                   now() - random() * interval '90 days'
              from generate_series(1, $1) i
              join chosen c on c.n = 1 + (i % (select count(*) from chosen))""", events)
        await conn.execute("""
            insert into business_daily_stats as s (business_id, day, views, unique_visitors,
                                                   time_on_page_total, time_on_page_count, bounces)
            select business_id, (occurred_at at time zone 'UTC')::date, count(*),
                   count(distinct visitor_id), sum(time_on_page_seconds), count(time_on_page_seconds),
                   count(*) filter (where bounced)
              from business_view_events where visitor_id like 'bulk-%'
             group by 1, 2
            on conflict (business_id, day) do update
               set views = s.views + excluded.views, unique_visitors = excluded.unique_visitors,
                   time_on_page_total = s.time_on_page_total + excluded.time_on_page_total,
                   time_on_page_count = s.time_on_page_count + excluded.time_on_page_count,
                   bounces = s.bounces + excluded.bounces""")
        await conn.execute("""
            insert into business_daily_visitors
            select distinct business_id, (occurred_at at time zone 'UTC')::date, visitor_id
              from business_view_events where visitor_id like 'bulk-%'
            on conflict do nothing""")
        await conn.execute("""
            insert into business_daily_referrers as r (business_id, day, referrer, views)
            select business_id, (occurred_at at time zone 'UTC')::date, referrer, count(*)
              from business_view_events where visitor_id like 'bulk-%' and referrer is not null
             group by 1, 2, 3
            on conflict (business_id, day, referrer) do update set views = r.views + excluded.views""")
    await conn.execute("analyze")
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": round(seconds, 1), "events_per_second": round(events / seconds)}


async def report_latency(conn: asyncpg.Connection, samples: int) -> dict[str, float]:
    ids = [r["id"] for r in await conn.fetch(
        "select distinct business_id as id from business_daily_stats limit 2000")]
    rng = random.Random(3)
    times = []
    for i in range(samples + 5):
        business = rng.choice(ids)
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute("select set_config('role', 'gql_admin', true),"
                               " set_config('request.jwt.claims', $1, true)",
                               json.dumps({"sub": "00000000-0000-0000-0000-000000000001", "roles": ["admin"]}))
            await conn.fetchval("select api.business_analytics($1, current_date - 89, current_date)", business)
        if i >= 5:
            times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


async def view_rate(server_url: str, business_ids: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    mutation = ("mutation($id: ID!, $v: String!) { recordBusinessView(businessId: $id, visitorId: $v) "
                "{ counted errors { code } } }")
    done = 0
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal done, errors
        async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                body = (await http.post("/graphql", json={"query": mutation, "variables": {
                    "id": business_ids[(n * 7919 + i) % len(business_ids)], "v": f"rate-{n}-{i % 100}"}})).json()
                if body.get("errors") or body["data"]["recordBusinessView"]["errors"]:
                    errors += 1
                else:
                    done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"views_per_second": round(done / elapsed, 1), "errors": errors, "concurrency": concurrency,
            "seconds": round(elapsed, 1)}
