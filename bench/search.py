"""Search, nearby and autocomplete latency: at the SQL function (as the anonymous role, the
way the server calls it) and through GraphQL over HTTP; plus EXPLAIN of each."""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from gql.commands.seed_data import CITIES

QUERIES = ["pizza", "dentist", "plumber", "auto repair", "coffee", "tacos", "lawyer", "sushi",
           "piza", "dentst", "plumbr", "cafe", "golden pizzeria", "urgent care", "car wash"]
PREFIXES = ["piz", "den", "aus", "chic", "gol", "main", "sush", "plu", "cof", "hous"]


def percentile(ordered: list[float], p: float, digits: int = 2) -> float | None:
    """The p-quantile (0..1) of sorted samples, nearest rank; None without samples."""
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], digits) if ordered else None


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": percentile(ordered, 0.95) or 0.0,
            "n": len(ordered)}


def random_point(rng: random.Random) -> tuple[float, float]:
    city = rng.choice(CITIES)
    return city.latitude + rng.uniform(-0.05, 0.05), city.longitude + rng.uniform(-0.05, 0.05)


async def timed(samples: int, call: Callable[[random.Random], Awaitable[Any]]) -> dict[str, float]:
    rng = random.Random(1)
    for _ in range(5):  # warm up
        await call(rng)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await call(rng)
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


SEARCH_SQL = ("select (s.business).id from api.search_businesses($1, $2, $3, $4, null, false, null, null, null,"
              " null, null, null, 'BEST_MATCH', null, 21) s")
SQL = {
    "search_near": SEARCH_SQL,
    "search_anywhere": SEARCH_SQL,
    "nearby": "select (s.business).id from api.nearby_businesses($1, $2, $3, null, 21) s",
    "autocomplete": "select * from api.autocomplete($1, $2, $3, 8)",
}


async def as_anonymous(conn: asyncpg.Connection, query: str, *args: Any) -> list[asyncpg.Record]:
    async with conn.transaction():
        await conn.execute("select set_config('role', 'gql_anonymous', true)")
        return await conn.fetch(query, *args)


def sql_args(kind: str, rng: random.Random) -> tuple[Any, ...]:
    lat, lon = random_point(rng)
    if kind == "search_near":  # within 10 km of a point near a city
        return (rng.choice(QUERIES), lat, lon, 10000.0)
    if kind == "search_anywhere":  # the whole directory: every match is ranked
        return (rng.choice(QUERIES), None, None, None)
    if kind == "nearby":
        return (lat, lon, 5000.0)
    return (rng.choice(PREFIXES), lat if rng.random() < 0.5 else None, lon)


SEARCH_GRAPHQL = ("query($q: String, $near: GeoPointInput, $r: Float) {"
                  " searchBusinesses(query: $q, near: $near, radiusMeters: $r, first: 20) {"
                  " edges { node { id name rating distanceMeters } } } }")
GRAPHQL = {
    "search_near": SEARCH_GRAPHQL,
    "search_anywhere": SEARCH_GRAPHQL,
    "nearby": "query($near: GeoPointInput!) { nearbyBusinesses(near: $near, radiusMeters: 5000, first: 20) {"
              " edges { node { id name distanceMeters bearingDegrees } } } }",
    "autocomplete": "query($p: String!, $near: GeoPointInput) { autocomplete(prefix: $p, near: $near) { kind label } }",
}


def graphql_variables(kind: str, rng: random.Random) -> dict[str, Any]:
    args = sql_args(kind, rng)
    if kind.startswith("search"):
        near = {"latitude": args[1], "longitude": args[2]} if args[1] is not None else None
        return {"q": args[0], "near": near, **({"r": args[3]} if near else {})}
    if kind == "nearby":
        return {"near": {"latitude": args[0], "longitude": args[1]}}
    near = {"latitude": args[1], "longitude": args[2]} if args[1] is not None else None
    return {"p": args[0], "near": near}


async def explain(conn: asyncpg.Connection, kind: str) -> list[str]:
    """Index names in the plan of a representative call (the function bodies, via auto_explain
    style: we EXPLAIN the inner statement shapes directly)."""
    inner = {
        "search_near": "select b.id from businesses b where b.status = 'active' and b.deleted_at is null and"
                       " b.search_vector @@ api_private.search_tsquery('pizza') and"
                       " earth_box(ll_to_earth(30.27, -97.74), 10000) @> b.geo"
                       " order by b.geo <-> ll_to_earth(30.27, -97.74) limit 200",
        "search_anywhere": "select b.id from businesses b where b.status = 'active' and b.deleted_at is null and"
                           " b.search_vector @@ api_private.search_tsquery('pizza')",
        "nearby": "select b.id from businesses b where b.status = 'active' and b.deleted_at is null and"
                  " earth_box(ll_to_earth(30.27, -97.74), 5000) @> b.geo order by b.geo <-> ll_to_earth(30.27, -97.74) limit 21",
        "autocomplete": "select b.id from businesses b where b.status = 'active' and b.deleted_at is null and"
                        " b.name_normalized like 'piz%' limit 8",
    }[kind]
    plan = await conn.fetchval(f"explain (format json) {inner}")
    text = plan if isinstance(plan, str) else json.dumps(plan)
    return sorted({part.split('"')[0] for part in text.split('"Index Name": "')[1:]})


async def run(database_url: str, server_url: str, samples: int) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    results: dict[str, Any] = {}
    try:
        for kind, query in SQL.items():
            async def sql_call(rng: random.Random, kind: str = kind, query: str = query) -> None:
                await as_anonymous(conn, query, *sql_args(kind, rng))
            results[f"{kind}_sql"] = await timed(samples, sql_call)
            results[f"{kind}_indexes"] = await explain(conn, kind)
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        for kind, query in GRAPHQL.items():
            async def http_call(rng: random.Random, kind: str = kind, query: str = query) -> None:
                response = await http.post("/graphql", json={"query": query,
                                                             "variables": graphql_variables(kind, rng)})
                body = response.json()
                assert not body.get("errors"), body
            results[f"{kind}_graphql"] = await timed(samples, http_call)
    return results
