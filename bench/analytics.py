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

from bench.dataset import strip_tables
from bench.search import percentiles


async def generate_events(conn: asyncpg.Connection, events: int, businesses: int = 2000) -> dict[str, Any]:
    """`events` views spread over 90 days and `businesses` listed businesses (owned ones
    first, so owners can ask for their reports), with the rollups that recording
    them one by one would have written. The event table's keys and indexes are rebuilt after."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute("select set_config('maintenance_work_mem', '1GB', true)")
        await conn.execute("""
            create temporary table chosen on commit drop as
            select id, (row_number() over () - 1)::int as i from (
                select id from businesses where status = 'active' and deleted_at is null
                 order by owner_id is null, id limit $1) b""", businesses)
        await conn.execute("""
            create temporary table bench_events on commit drop as
            select c.id as business_id, x.visitor_id, r.referrer, x.time_on_page, x.bounced, x.occurred_at,
                   (x.occurred_at at time zone 'UTC')::date as day
              from (select i % (select count(*) from chosen) as business_i,
                           'bulk-' || floor(random() * 50000)::int as visitor_id,
                           floor(random() * 5)::int as referrer_i, floor(random() * 300)::int as time_on_page,
                           random() < 0.3 as bounced, now() - random() * interval '90 days' as occurred_at
                      from generate_series(1, $1) i) x
              join chosen c on c.i = x.business_i
              join (values (0, 'google.com'), (1, 'yelp.com'), (2, 'bing.com'), (3, null), (4, 'maps.app'))
                   as r(i, referrer) on r.i = x.referrer_i""", events)
        restore = await strip_tables(conn, ("business_view_events", "business_daily_visitors"))
        restore += await strip_tables(conn, ("business_daily_stats", "business_daily_referrers"), drop_keys=False)
        await conn.execute("""
            insert into business_view_events (business_id, visitor_id, referrer, time_on_page_seconds,
                                              bounced, occurred_at)
            select business_id, visitor_id, referrer, time_on_page, bounced, occurred_at from bench_events""")
        await conn.execute("""
            insert into business_daily_visitors
            select distinct e.business_id, e.day, e.visitor_id from bench_events e
             where not exists (select 1 from business_daily_visitors v
                                where v.business_id = e.business_id and v.day = e.day and v.visitor_id = e.visitor_id)""")
        await conn.execute("""
            insert into business_daily_stats as s (business_id, day, views, unique_visitors,
                                                   time_on_page_total, time_on_page_count, bounces)
            select e.business_id, e.day, count(*), 0, sum(time_on_page), count(time_on_page),
                   count(*) filter (where bounced)
              from bench_events e group by 1, 2
            on conflict (business_id, day) do update
               set views = s.views + excluded.views,
                   time_on_page_total = s.time_on_page_total + excluded.time_on_page_total,
                   time_on_page_count = s.time_on_page_count + excluded.time_on_page_count,
                   bounces = s.bounces + excluded.bounces""")
        await conn.execute("""
            update business_daily_stats s set unique_visitors = v.visitors
              from (select business_id, day, count(*)::int as visitors from business_daily_visitors
                     where (business_id, day) in (select business_id, day from bench_events) group by 1, 2) v
             where s.business_id = v.business_id and s.day = v.day""")
        await conn.execute("""
            insert into business_daily_referrers as r (business_id, day, referrer, views)
            select business_id, day, referrer, count(*) from bench_events where referrer is not null
             group by 1, 2, 3
            on conflict (business_id, day, referrer) do update set views = r.views + excluded.views""")
        for statement in restore:
            await conn.execute(statement)
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
