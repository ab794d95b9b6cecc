"""A data set of any size, generated inside PostgreSQL (generate_series), with the demo
seed's vocabulary: cities, categories, hours profiles, statuses. Faker is not needed for
volume; the names come from the seed's word lists."""

from __future__ import annotations

import time

import asyncpg

from gql.seed_data import ADJECTIVES, CATEGORIES, CITIES, HOURS_PROFILES

USERS_PER_REVIEWS = 10  # one user per ten reviews


async def ensure_categories(conn: asyncpg.Connection) -> list[tuple[str, list[str], str]]:
    """The seed's category tree (created if missing): (sub-category id, nouns, hours profile)."""
    leaves = []
    for order, top in enumerate(CATEGORIES):
        top_id = await conn.fetchval(
            "insert into categories (slug, name, icon, sort_order) values ($1, $2, $3, $4)"
            " on conflict (slug) do update set name = excluded.name returning id",
            top.slug, top.name, top.icon, order)
        for sub_order, sub in enumerate(top.children):
            sub_id = await conn.fetchval(
                "insert into categories (slug, name, parent_id, sort_order) values ($1, $2, $3, $4)"
                " on conflict (slug) do update set name = excluded.name returning id",
                sub.slug, sub.name, top_id, sub_order)
            leaves.append((str(sub_id), list(sub.nouns), sub.hours))
    return leaves


async def generate(conn: asyncpg.Connection, businesses: int, reviews: int, *, seed: float = 0.42) -> dict[str, float]:
    """Add businesses and reviews (and their users) in bulk; returns counts and rows/s."""
    started = time.perf_counter()
    leaves = await ensure_categories(conn)
    cities = [{"name": c.name, "state": c.state, "lat": c.latitude, "lon": c.longitude,
               "tz": c.timezone, "weight": c.weight} for c in CITIES]
    hours = {name: [{d: [list(iv) for iv in ivs] for d, ivs in h.items()} for h in profiles]
             for name, profiles in HOURS_PROFILES.items()}
    async with conn.transaction():
        await conn.execute("select set_config('gql.bulk_load', 'on', true)")
        await conn.execute("select setseed($1)", seed)
        users = max(100, reviews // USERS_PER_REVIEWS)
        base_users = await conn.fetchval("select count(*) from users")
        await conn.execute("""
            insert into users (email, display_name, created_at)
            select 'bench-' || ($2 + i) || '@example.com', 'Bench User ' || ($2 + i),
                   now() - random() * interval '4 years'
              from generate_series(1, $1) i""", users, base_users)
        base = await conn.fetchval("select count(*) from businesses")
        await conn.execute("""
            with leaf as (select row_number() over () as n, l.*
                            from jsonb_to_recordset($2::jsonb) as l(id uuid, nouns text[], hours text)),
                 city as (select row_number() over () as n, c.*
                            from jsonb_to_recordset($3::jsonb)
                                 as c(name text, state text, lat float8, lon float8, tz text, weight int),
                                 generate_series(1, c.weight)),
                 sizes as (select (select count(*) from leaf) as leaves, (select count(*) from city) as cities),
                 picks as (
                     select i, 1 + floor(random() * s.leaves)::int as leaf_n,
                            1 + floor(random() * s.cities)::int as city_n,
                            random() as r1, random() as r2, random() as r3, random() as r4
                       from generate_series($5 + 1, $5 + $1) i, sizes s)
            insert into businesses (slug, name, description, primary_category_id, tags, city, state,
                                    country, latitude, longitude, timezone, hours, status,
                                    created_at, updated_at)
            select 'bench-' || p.i,
                   ($4::text[])[1 + floor(p.r1 * cardinality($4::text[]))::int] || ' '
                       || l.nouns[1 + floor(p.r2 * cardinality(l.nouns))::int] || ' ' || p.i,
                   'A ' || lower(l.nouns[1]) || ' business in ' || c.name || '.',
                   l.id, array[lower(l.nouns[1])], c.name, c.state, 'US',
                   c.lat + (p.r3 - 0.5) * 0.25,
                   c.lon + (p.r4 - 0.5) * 0.25 / cos(radians(c.lat)),
                   c.tz,
                   ($6::jsonb -> l.hours) -> floor(p.r1 * jsonb_array_length($6::jsonb -> l.hours))::int,
                   case when p.r2 < 0.9 then 'active' when p.r2 < 0.95 then 'draft' else 'suspended' end,
                   now() - p.r3 * interval '4 years', now() - p.r3 * interval '4 years'
              from picks p join leaf l on l.n = p.leaf_n join city c on c.n = p.city_n""",
            businesses, [{"id": i, "nouns": n, "hours": h} for i, n, h in leaves],
            cities, list(ADJECTIVES), base, hours)
        loaded_businesses = time.perf_counter()
        await conn.execute("""
            with b as (select array_agg(id) as ids from businesses where status = 'active'),
                 u as (select array_agg(id) as ids from users)
            insert into business_reviews (business_id, author_id, rating, title, content, status,
                                          published_at, created_at, updated_at)
            select b.ids[1 + floor(random() * cardinality(b.ids))::int],
                   u.ids[1 + floor(random() * cardinality(u.ids))::int],
                   greatest(1, least(5, round(3.8 + (random() + random() + random() - 1.5) * 1.6)))::int,
                   'Visit ' || i, 'Generated review number ' || i || '.',
                   case when random() < 0.92 then 'published' else 'pending' end,
                   now() - random() * interval '3 years', now() - random() * interval '3 years', now()
              from generate_series(1, $1) i, b, u
            on conflict do nothing""", reviews)
        await conn.execute("select api.refresh_search_vocabulary()")
    done = time.perf_counter()
    await conn.execute("analyze")
    rows = businesses + reviews + users
    return {"businesses": businesses, "reviews": reviews, "users": users,
            "seconds": round(done - started, 1), "rows_per_second": round(rows / (done - started)),
            "business_rows_per_second": round(businesses / (loaded_businesses - started))}
