"""isOpenNow: the business's own time zone, overnight intervals, special days, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from gql.app import create_app
from gql.database import connect
from gql.settings import Settings
from tests.support import GraphQLClient, ServerThread

OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
BAR = {d: [["16:00", "02:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SPLIT = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}
ALWAYS = {d: [["00:00", "00:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
LATE_FRIDAY = {"fri": [["18:00", "03:00"]]}


def local(tz: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


# (hours, special hours, zone, local moment, open?). 2026-11-23 is a Monday.
CASES = [
    (OFFICE, {}, "America/Los_Angeles", "2026-11-23 09:00", True),
    (OFFICE, {}, "America/Los_Angeles", "2026-11-23 08:59", False),
    (OFFICE, {}, "America/Los_Angeles", "2026-11-23 17:00", False),  # closing time is exclusive
    (OFFICE, {}, "America/Los_Angeles", "2026-11-22 12:00", False),  # Sunday
    (OFFICE, {}, "Pacific/Honolulu", "2026-11-23 16:59", True),
    (SPLIT, {}, "America/Chicago", "2026-11-23 12:30", False),       # lunch break
    (SPLIT, {}, "America/Chicago", "2026-11-23 13:00", True),
    (BAR, {}, "America/New_York", "2026-11-23 23:30", True),
    (BAR, {}, "America/New_York", "2026-11-24 01:59", True),          # Monday's night, on Tuesday
    (BAR, {}, "America/New_York", "2026-11-24 02:00", False),
    (BAR, {}, "America/New_York", "2026-11-24 15:59", False),
    (LATE_FRIDAY, {}, "America/Denver", "2026-11-28 02:30", True),   # Saturday, Friday's tail
    (LATE_FRIDAY, {}, "America/Denver", "2026-11-28 18:30", False),  # Saturday has no hours
    (ALWAYS, {}, "America/Phoenix", "2026-11-25 03:17", True),
    ({}, {}, "America/Phoenix", "2026-11-25 12:00", False),           # no hours: closed
    (OFFICE, {"2026-12-25": []}, "America/New_York", "2026-12-25 10:00", False),  # holiday
    (OFFICE, {"2026-12-24": [["09:00", "13:00"]]}, "America/New_York", "2026-12-24 14:00", False),
    (OFFICE, {"2026-12-24": [["09:00", "13:00"]]}, "America/New_York", "2026-12-24 12:00", True),
    ({}, {"2026-11-28": [["10:00", "14:00"]]}, "America/New_York", "2026-11-28 11:00", True),
    (BAR, {"2026-11-23": [["20:00", "01:00"]]}, "America/New_York", "2026-11-24 00:30", True),
    (BAR, {"2026-11-23": [["20:00", "01:00"]]}, "America/New_York", "2026-11-24 01:30", False),
    (BAR, {"2026-11-23": []}, "America/New_York", "2026-11-24 00:30", False),
    # DST: 2026-03-08 02:00 in New York jumps to 03:00; 08:30 EDT is still 08:30 local.
    ({"sun": [["08:00", "09:00"]]}, {}, "America/New_York", "2026-03-08 08:30", True),
    ({"sun": [["08:00", "09:00"]]}, {}, "America/New_York", "2026-03-08 09:30", False),
]


@pytest.mark.parametrize("hours, special, tz, moment, expected", CASES)
async def test_is_open_at(db: asyncpg.Connection, hours: dict[str, object],
                          special: dict[str, object], tz: str, moment: str, expected: bool) -> None:
    at = local(tz, moment)
    assert await db.fetchval("select api.is_open_at($1, $2, $3, $4)",
                             hours, special, tz, at) is expected


async def test_the_same_instant_is_open_in_one_zone_and_closed_in_another(db: asyncpg.Connection) -> None:
    instant = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # 09:30 in LA, 12:30 in NY, 07:30 Honolulu
    answers = {tz: await db.fetchval("select api.is_open_at($1, '{}', $2, $3)", OFFICE, tz, instant)
               for tz in ("America/Los_Angeles", "America/New_York", "Pacific/Honolulu")}
    assert answers == {"America/Los_Angeles": True, "America/New_York": True,
                       "Pacific/Honolulu": False}


async def test_is_open_now_field_follows_each_business_zone(fresh_database: str) -> None:
    """Through the API: businesses whose only hours are today's, in their own zones."""
    conn = await connect(fresh_database)
    now = datetime.now(UTC)
    zones = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata", "America/Chicago"]
    expected = {}
    try:
        category = await conn.fetchval(
            "insert into categories (slug, name) values ('test', 'Test') returning id")
        for i, tz in enumerate(zones):
            today = now.astimezone(ZoneInfo(tz)).date()
            for kind, intervals in (("open", [["00:00", "00:00"]]), ("closed", [])):
                slug = f"b{i}-{kind}"
                await conn.execute(
                    "insert into businesses (slug, name, primary_category_id, city, state, timezone,"
                    " status, hours, special_hours) values ($1, $1, $2, 'X', 'Y', $3, 'active', $4, $5)",
                    slug, category, tz, ALWAYS,
                    # yesterday and tomorrow too, so a local midnight during the test changes nothing
                    {(today + timedelta(days=d)).isoformat(): intervals for d in (-1, 0, 1)})
                expected[slug] = kind == "open"
    finally:
        await conn.close()
    with ServerThread(create_app(Settings.from_env({}), fresh_database)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            client = GraphQLClient(http)
            data = await client.data("{ businesses(first: 20) { edges { node { slug isOpenNow } } } }")
    got = {e["node"]["slug"]: e["node"]["isOpenNow"] for e in data["businesses"]["edges"]}
    assert got == expected
