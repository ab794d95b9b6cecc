"""The demo data set: deterministic, realistic, and loaded with consistent counters."""

from __future__ import annotations

import math
from collections import Counter

import asyncpg
import pytest

from gql.commands.migrate import Migrator
from gql.commands.seed import DatabaseNotEmpty, SeedOptions, generate, seed_database
from gql.commands.seed_data import CATEGORIES, CITIES
from gql.database import connect
from tests.conftest import TEST_SEED
from tests.support import drop, scratch_database

SMALL = SeedOptions(businesses=120, reviews=500, seed=3)

TABLE_DIGEST = """
select md5(string_agg(t::text, '|' order by t::text)) from {table} t
"""
TABLES = ["categories", "users", "businesses", "business_reviews", "review_responses",
          "review_votes", "business_managers"]


async def seeded_digests(server_url: str, options: SeedOptions) -> dict[str, str]:
    name, url = await scratch_database(server_url)
    conn = await connect(url)
    try:
        await Migrator(conn).up()
        await seed_database(conn, options, quiet=True)
        return {t: await conn.fetchval(TABLE_DIGEST.format(table=t)) for t in TABLES}
    finally:
        await conn.close()
        await drop(server_url, name)


async def test_same_seed_same_database_other_seed_other_data(server_url: str) -> None:
    first = await seeded_digests(server_url, SMALL)
    again = await seeded_digests(server_url, SMALL)
    other = await seeded_digests(server_url, SeedOptions(SMALL.businesses, SMALL.reviews, seed=4))
    assert first == again
    assert first["businesses"] != other["businesses"]
    assert first["business_reviews"] != other["business_reviews"]


def test_sizes_follow_the_options() -> None:
    data = generate(SMALL)
    assert len(data.businesses.rows) == SMALL.businesses
    assert len(data.reviews.rows) == SMALL.reviews
    defaults = SeedOptions()
    assert (defaults.businesses, defaults.reviews) == (1000, 5000)


def test_data_looks_like_a_real_directory() -> None:
    data = generate(SeedOptions(businesses=600, reviews=100, seed=11))
    cols = data.businesses.columns
    rows = [dict(zip(cols, r, strict=True)) for r in data.businesses.rows]
    statuses = Counter(r["status"] for r in rows)
    assert statuses["active"] > 0.8 * len(rows) and statuses["draft"] and statuses["suspended"]
    # Every business is near a real city of its own state, in that city's time zone.
    for r in rows:
        city = next(c for c in CITIES if c.name == r["city"])
        assert (r["state"], r["timezone"]) == (city.state, city.timezone)
        km = 111 * math.hypot(r["latitude"] - city.latitude,
                              (r["longitude"] - city.longitude) * math.cos(math.radians(city.latitude)))
        assert km < 60
    # Names and descriptions fit the category: a pizzeria mentions pizza.
    subs = {sub_row[0]: sub_row[2] for sub_row in data.categories.rows if sub_row[1] is not None}
    pizza = [r for r in rows if subs[r["primary_category_id"]] == "pizza"]
    assert pizza and all("pizza" in (r["name"] + r["description"]).lower() for r in pizza)
    # Opening hours are HH:MM intervals on weekdays, and bars run past midnight.
    assert all(set(r["hours"]) <= {"mon", "tue", "wed", "thu", "fri", "sat", "sun"} for r in rows)
    bars = [r for r in rows if subs[r["primary_category_id"]] == "bars"]
    assert bars and all(any(c <= o for ivs in r["hours"].values() for o, c in ivs) for r in bars)
    assert [c[2] for c in data.categories.rows if c[1] is None] == [t.slug for t in CATEGORIES]


async def test_counters_match_the_rows(db: asyncpg.Connection) -> None:
    """Everything the triggers maintain equals a recount from the raw rows."""
    mismatched_reviews = await db.fetchval("""
        select count(*) from businesses b,
          lateral (select count(*) as n, coalesce(round(avg(rating), 2), 0) as mean,
                          array[count(*) filter (where rating = 1), count(*) filter (where rating = 2),
                                count(*) filter (where rating = 3), count(*) filter (where rating = 4),
                                count(*) filter (where rating = 5)]::int[] as per_star
                     from business_reviews r
                    where r.business_id = b.id and r.status = 'published' and r.deleted_at is null) x
         where (b.review_count, b.rating_avg, b.rating_counts) is distinct from (x.n::int, x.mean, x.per_star)""")
    assert mismatched_reviews == 0
    mismatched_votes = await db.fetchval("""
        select count(*) from business_reviews r
         where (r.helpful_count, r.not_helpful_count) is distinct from (
               (select count(*) filter (where helpful) from review_votes v where v.review_id = r.id)::int,
               (select count(*) filter (where not helpful) from review_votes v where v.review_id = r.id)::int)""")
    assert mismatched_votes == 0
    mismatched_categories = await db.fetchval("""
        select count(*) from categories c
         where c.business_count <> (
               select count(distinct b.id) from businesses b
                 join categories sub on sub.id = b.primary_category_id or sub.id = any(b.secondary_category_ids)
                where sub.path @> array[c.id] and b.status = 'active' and b.deleted_at is null)
            or c.children_count <> (select count(*) from categories k where k.parent_id = c.id)""")
    assert mismatched_categories == 0
    assert await db.fetchval("select count(*) from business_reviews") == TEST_SEED.reviews


async def test_seeding_a_non_empty_database_is_refused(seeded_url: str) -> None:
    conn = await connect(seeded_url)
    try:
        with pytest.raises(DatabaseNotEmpty, match="--reset"):
            await seed_database(conn, SMALL, quiet=True)
    finally:
        await conn.close()
