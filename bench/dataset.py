"""The scale data set: `python -m bench dataset --businesses N --reviews M [--events E]`.

Volume is generated set-wise inside PostgreSQL by bench/dataset.sql; Python only supplies
the demo seed's vocabulary (gql/commands/seed_data.py) and a few hundred Faker words. The load runs
in one transaction with row triggers off and the secondary indexes dropped, then rebuilds
the indexes in bulk: about what pg_restore does, and for the same reason.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from typing import Any

import asyncpg
from faker import Faker

from gql.commands.seed_data import (
    ADJECTIVES,
    CATEGORIES,
    CITIES,
    HOURS_PROFILES,
    OWNER_REPLIES,
    REVIEW_DETAILS,
    REVIEW_OPENERS,
    REVIEW_TITLES,
)

SCRIPT = Path(__file__).with_name("dataset.sql")
TABLES = ("users", "businesses", "business_managers", "business_reviews", "review_responses")
VOCABULARY_SIZE = 400


class DatasetError(Exception):
    pass


def script_steps(text: str) -> list[tuple[str, str]]:
    """(name, sql) for each '-- step: name' section of the script."""
    parts = re.split(r"^-- step: (.+)$", text, flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


async def ensure_categories(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """The seed's category tree, created where missing; its leaves for the generator."""
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
            leaves.append({"id": str(sub_id), "name": sub.name, "nouns": list(sub.nouns), "keywords": list(sub.keywords),
                           "hours": sub.hours})
    return leaves


def vocabulary(seed: int) -> dict[str, Any]:
    """Word lists of VOCABULARY_SIZE entries each (short lists repeated) and review texts."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)

    def sized(words: list[str]) -> list[str]:
        return [words[i % len(words)] for i in range(VOCABULARY_SIZE)]

    def review_text(rating: int, i: int) -> dict[str, Any]:
        detail = rng.choice(REVIEW_DETAILS[rating])
        detail = detail[0].upper() + detail[1:] if not detail.startswith("{kw}") else "{Kw}" + detail[4:]
        content = f"{rng.choice(REVIEW_OPENERS[rating])} {detail} {fake.sentence(nb_words=10)}"
        return {"rating": rating, "i": i, "title": rng.choice(REVIEW_TITLES[rating]), "content": content}

    return {
        "words_per_list": VOCABULARY_SIZE,
        "words": {
            "adjectives": sized(list(ADJECTIVES)),
            "last_names": [fake.last_name() for _ in range(VOCABULARY_SIZE)],
            "first_names": [fake.first_name() for _ in range(VOCABULARY_SIZE)],
            "catch_phrases": [fake.catch_phrase() for _ in range(VOCABULARY_SIZE)],
            "streets": [fake.street_name() for _ in range(VOCABULARY_SIZE)],
            "replies": sized(list(OWNER_REPLIES)),
        },
        "review_texts": [review_text(rating, i) for rating in REVIEW_TITLES for i in range(VOCABULARY_SIZE)],
        "cities": [{"name": c.name, "state": c.state, "lat": c.latitude, "lon": c.longitude,
                    "tz": c.timezone, "weight": c.weight, "zip": c.zip_prefix} for c in CITIES],
        "hours": {name: [{d: [list(iv) for iv in ivs] for d, ivs in h.items()} for h in profiles]
                  for name, profiles in HOURS_PROFILES.items()},
    }


async def strip_tables(conn: asyncpg.Connection, tables: tuple[str, ...], *, drop_keys: bool = True) -> list[str]:
    """Drop the triggers, foreign keys, keys (unless drop_keys=False: an upsert needs them) and
    indexes of `tables` (foreign keys from other tables to them too), as pg_restore loads data
    before them. Returns the statements that put them back: keys, indexes, foreign keys
    (validated in bulk), triggers."""
    oids = "array(select oid from pg_class where relnamespace = 'public'::regnamespace" \
           " and relname = any($1::text[]))"
    foreign_keys = await conn.fetch(f"""
        select conrelid::regclass::text as tab, conname, pg_get_constraintdef(oid) as definition
          from pg_constraint
         where contype = 'f' and conparentid = 0
           and (conrelid = any({oids}) or confrelid = any({oids}))""", list(tables))
    triggers = await conn.fetch(f"""
        select tgrelid::regclass::text as tab, tgname, pg_get_triggerdef(oid) as definition
          from pg_trigger where tgrelid = any({oids}) and not tgisinternal""", list(tables))
    keys = await conn.fetch(f"""
        select conrelid::regclass::text as tab, conname, pg_get_constraintdef(oid) as definition
          from pg_constraint c
         where contype in ('p', 'u') and conrelid = any({oids}) and $2
           -- a view grouping by a key depends on it: that key stays
           and not exists (select 1 from pg_depend d
                            where d.refobjid = c.oid and d.classid = 'pg_rewrite'::regclass)""",
        list(tables), drop_keys)
    indexes = await conn.fetch(f"""
        select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition
          from pg_index x
         where indrelid = any({oids})
           and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)
           and (indisunique is false or $2)""", list(tables), drop_keys)
    for fk in foreign_keys:
        await conn.execute(f'alter table {fk["tab"]} drop constraint "{fk["conname"]}"')
    for trigger in triggers:
        await conn.execute(f'drop trigger "{trigger["tgname"]}" on {trigger["tab"]}')
    for index in indexes:
        await conn.execute(f"drop index {index['name']}")
    for key in keys:
        await conn.execute(f'alter table {key["tab"]} drop constraint "{key["conname"]}"')
    return ([f'alter table {k["tab"]} add constraint "{k["conname"]}" {k["definition"]}' for k in keys]
            + [i["definition"] for i in indexes]
            + [f'alter table {f["tab"]} add constraint "{f["conname"]}" {f["definition"]}' for f in foreign_keys]
            + [t["definition"] for t in triggers])


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: await conn.fetchval(f"select count(*) from {table}") for table in TABLES}


async def generate(conn: asyncpg.Connection, businesses: int, reviews: int, *, seed: int = 7,
                   progress: bool = True) -> dict[str, Any]:
    """Add `businesses` businesses with about `reviews` reviews (and their users, managers and
    owner responses); returns row counts, seconds per step and rows per second."""
    if businesses <= 0:
        if reviews > 0:
            raise DatasetError("reviews are added with new businesses: ask for more businesses too")
        return {"rows": 0, "seconds": 0.0}
    started = time.perf_counter()
    before = await counts(conn)
    # Earlier runs' users are numbered 1..k in their ids.
    base_user = await conn.fetchval(
        "select count(*) from generate_series(1, (select count(*) from users)) n"
        " join users u on u.id = md5('bench-user-' || n)::uuid")
    # Earlier runs' businesses are numbered 1..k in their slugs' last part and ids.
    base_business = await conn.fetchval(
        "select count(*) from businesses where id = md5('bench-business-' || substring(slug from '-([0-9]+)$'))::uuid")
    params = vocabulary(seed) | {
        "leaves": await ensure_categories(conn),
        "businesses": businesses, "base_business": base_business,
        "users": max(100, reviews // 4 + businesses // 5), "base_user": base_user, "reviews": reviews,
    }
    steps: dict[str, float] = {}
    async with conn.transaction():
        for setting, value in (("maintenance_work_mem", "1GB"), ("synchronous_commit", "off")):
            await conn.execute("select set_config($1, $2, true)", setting, value)
        await conn.execute("select setseed($1)", (seed % 1000) / 1000)
        await conn.execute("create temporary table bench_params (v jsonb) on commit drop")
        await conn.execute("insert into bench_params values ($1::jsonb)", params)
        mark = time.perf_counter()
        restore = await strip_tables(conn, TABLES)
        for name, sql in script_steps(SCRIPT.read_text()):
            await conn.execute(sql)
            steps[name], mark = time.perf_counter() - mark, time.perf_counter()
            if progress:
                print(f"dataset: {name} {steps[name]:.1f} s", flush=True)
        slowest: list[tuple[float, str]] = []
        for statement in restore:
            began = time.perf_counter()
            await conn.execute(statement)
            slowest.append((time.perf_counter() - began, statement))
        steps["keys, indexes, triggers"], mark = time.perf_counter() - mark, time.perf_counter()
        await conn.execute("select api_private.refresh_search_vocabulary()")
        steps["search vocabulary"], mark = time.perf_counter() - mark, time.perf_counter()
    loaded = time.perf_counter() - started
    await conn.execute("analyze")
    after = await counts(conn)
    added = {table: after[table] - before[table] for table in TABLES}
    rows = sum(added.values())
    return {"added": added, "total": after, "rows": rows, "seconds": round(loaded, 1),
            "rows_per_second": round(rows / loaded),
            "steps": {name: round(seconds, 1) for name, seconds in steps.items()},
            "slowest_rebuilds": [f"{seconds:.1f} s {statement[:110]}" for seconds, statement in sorted(slowest)[-8:]]}


async def grow(database_url: str, businesses: int, reviews: int, events: int = 0) -> dict[str, Any]:
    """Grow the database to at least this many businesses, reviews and view events."""
    from bench.analytics import generate_events
    from gql.database import connect

    conn = await connect(database_url)
    try:
        have = await counts(conn)
        more_businesses = max(0, businesses - have["businesses"])
        # Reviews come with new businesses (about as many as asked for: each business's
        # share is rounded), so a data set with enough businesses is left as it is.
        more_reviews = max(0, reviews - have["business_reviews"]) if more_businesses else 0
        result: dict[str, Any] = {"dataset": await generate(conn, more_businesses, more_reviews)}
        have_events = await conn.fetchval("select count(*) from business_view_events")
        if events > have_events:
            result["events"] = await generate_events(conn, events - have_events)
        return result
    finally:
        await conn.close()
