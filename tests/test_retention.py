"""Retention: the upkeep removes raw records past their age and keeps everything a report or
a user still reads (rollups, recent rows); one process at a time does it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from gql.database import connect, create_pool
from gql.postgres.maintenance import Retention, run_upkeep
from tests.test_analytics import REPORT
from tests.world import World


async def test_old_raw_records_go_and_reports_read_the_same(world: World) -> None:
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=500), now - timedelta(days=3)
    old_month = (now - timedelta(days=31 * 30)).replace(day=1)
    conn = await connect(world.url)
    try:
        for at, event in ((old, "old-view"), (recent, "recent-view")):
            await conn.execute("select api.record_business_view($1, 'visitor-r', 'search', 30, false, $2, $3)",
                               world.listed_id, event, at)
            await conn.execute("select api.record_business_click($1, 'visitor-r', 'call', $2, $3)",
                               world.listed_id, f"{event}-click", at)
        await conn.execute("insert into security_events (kind, details, created_at) values"
                           " ('sign_in_failed', '{\"case\": \"old\"}', $1), ('sign_in_failed', '{\"case\": \"new\"}', $2)",
                           now - timedelta(days=100), now - timedelta(days=1))
        await conn.execute("insert into idempotency_keys (user_id, key, operation, created_at) values"
                           " ($1, 'old-key', 'createBusiness', $2), ($1, 'new-key', 'createBusiness', $3)",
                           world.owner.id, now - timedelta(days=8), now - timedelta(days=1))
        partition = f"audit_logs_{old_month:%Y_%m}"
        await conn.execute(f"create table {partition} partition of audit_logs"
                           f" for values from ('{old_month:%Y-%m-01}') to ('{old_month:%Y-%m-01}'::date + interval '1 month')")
        await conn.execute("insert into audit_logs (table_name, record_id, action, created_at) values"
                           " ('businesses', gen_random_uuid(), 'UPDATE', $1),"
                           " ('businesses', gen_random_uuid(), 'UPDATE', $2)",
                           old_month + timedelta(days=2), now - timedelta(days=40 * 31))  # (the default partition)
    finally:
        await conn.close()
    window = {"id": world.listed_id, "from": old.date().isoformat(), "to": old.date().isoformat()}
    before = (await world.owner.client.data(REPORT, window))["businessAnalytics"]
    assert before["totalViews"] == 1 and before["clicks"]["call"] == 1

    pool = await create_pool(world.url, min_size=1, max_size=2)
    try:
        assert await run_upkeep(pool, Retention()) is True
    finally:
        await pool.close()

    assert (await world.owner.client.data(REPORT, window))["businessAnalytics"] == before
    conn = await connect(world.url)
    try:
        events = await conn.fetch("select client_event_id from business_view_events where visitor_id = 'visitor-r'")
        assert [e["client_event_id"] for e in events] == ["recent-view"]
        assert await conn.fetchval("select count(*) from business_click_events where visitor_id = 'visitor-r'") == 1
        assert await conn.fetchval("select array_agg(details ->> 'case') from security_events"
                                   " where details ? 'case'") == ["new"]
        assert await conn.fetchval("select array_agg(key) from idempotency_keys where user_id = $1",
                                   world.owner.id) == ["new-key"]
        assert await conn.fetchval("select to_regclass($1)", partition) is None
        assert await conn.fetchval("select count(*) from audit_logs where created_at < now() - interval '25 months'") == 0
        assert await conn.fetchval("select count(*) from audit_logs") > 0  # the directory's own history stays
    finally:
        await conn.close()


def test_retention_ages_come_from_the_environment() -> None:
    assert Retention.from_env({}) == Retention()
    custom = Retention.from_env({"GQL_RETAIN_EVENTS_DAYS": "30", "GQL_RETAIN_IDEMPOTENCY_KEYS_DAYS": "1"})
    assert custom == dataclasses.replace(Retention(), view_event_days=30, idempotency_key_days=1)
