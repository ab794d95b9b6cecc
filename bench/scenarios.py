"""The measured operations (Q1-Q5 reads, M1-M2 writes), each with variables drawn at random
from the data set, and the PostGraphile equivalents of Q1 and Q2."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from bench.processes import BENCH_JWT_SECRET
from bench.search import PREFIXES
from gql.commands.seed_data import CITIES, City
from gql.identity.auth import issue_token

Request = dict[str, Any]  # {"body": json text, "headers": {...}}

Q1 = """query Q1($city: String!) {
  businesses(first: 20, filter: {city: $city}) { edges { node {
    id name slug rating reviewCount primaryCategory { name slug }
    reviews(first: 5) { edges { node { rating title content createdAt author { displayName } } } }
  } } }
}"""
Q1_POSTGRAPHILE = """query Q1($city: String!) {
  allBusinesses(first: 20, orderBy: [NAME_ASC, PRIMARY_KEY_ASC],
                condition: {city: $city, status: "active", deletedAt: null}) { nodes {
    rowId name slug ratingAvg reviewCount categoryByPrimaryCategoryId { name slug }
    businessReviewsByBusinessId(first: 5, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC],
                                condition: {status: "published", deletedAt: null}) { nodes {
      rating title content createdAt userByAuthorId { displayName } } }
  } }
}"""
Q2 = """query Q2($slug: String!) {
  business(slug: $slug) {
    id name description phone website email address { line1 city state zip } timezone
    hours { day opens closes } rating reviewCount ratingDistribution { rating count }
    primaryCategory { name slug } tags verified version
  }
}"""
Q2_POSTGRAPHILE = """query Q2($slug: String!) {
  businessBySlug(slug: $slug) {
    rowId name description phone website email addressLine1 city state zipCode timezone
    hours ratingAvg reviewCount ratingCounts categoryByPrimaryCategoryId { name slug } tags
    verificationStatus version
  }
}"""
Q3 = """query Q3($query: String!, $near: GeoPointInput!) {
  searchBusinesses(query: $query, near: $near, radiusMeters: 25000, first: 20) {
    edges { node { id name slug rating reviewCount distanceMeters } }
  }
}"""
Q4 = """query Q4($near: GeoPointInput!) {
  nearbyBusinesses(near: $near, radiusMeters: 5000, first: 20) {
    edges { node { id name slug rating distanceMeters bearingDegrees } }
  }
}"""
Q5 = """query Q5($id: ID!, $from: Date!, $to: Date!) {
  businessAnalytics(businessId: $id, from: $from, to: $to) {
    totalViews uniqueVisitors averageTimeOnPageSeconds bounceRate clickThroughRate
    clicks { call website directions share save }
    daily { date views uniqueVisitors clicks } topReferrers { referrer views }
  }
}"""
A1 = """query A1($prefix: String!, $near: GeoPointInput) {
  autocomplete(prefix: $prefix, near: $near, limit: 8) { kind label slug businessId distanceMeters }
}"""
V1 = """mutation V1($id: ID!, $visitor: String!) {
  recordBusinessView(businessId: $id, visitorId: $visitor, referrer: "search") { counted errors { code } }
}"""
M1 = """mutation M1($input: CreateReviewInput!) {
  createReview(input: $input) { review { id status } errors { code field message } }
}"""
M2 = """mutation M2($id: ID!, $input: BusinessInput!, $version: Int!) {
  updateBusiness(id: $id, input: $input, expectedVersion: $version) {
    business { id version } errors { code field message }
  }
}"""

SEARCH_TERMS = ["pizza", "dentist", "plumber", "auto repair", "coffee", "tacos", "lawyer", "sushi",
                "piza", "dentst", "cafe", "golden pizzeria", "urgent care", "car wash", "bakery"]


def body(query: str, variables: dict[str, Any], token: str | None = None) -> Request:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return {"body": json.dumps({"query": query, "variables": variables}), "headers": headers}


async def sampled(conn: asyncpg.Connection, table: str, rows: int, alias: str = "") -> str:
    """`table alias tablesample system (p)` with p chosen to give at least about `rows` rows."""
    estimate = await conn.fetchval("select greatest(reltuples, 1) from pg_class where oid = $1::regclass", table)
    percent = min(100.0, 100.0 * max(rows * 4, 1000) / estimate)
    return f"{table} {alias} tablesample system ({percent:.6f})"


def token_for(user_id: uuid.UUID) -> str:
    token, _expires = issue_token(user_id, [], BENCH_JWT_SECRET, 6 * 3600)
    return token


def weighted_city(rng: random.Random) -> City:
    """A city picked with the seed's weights (where businesses are)."""
    return rng.choices(CITIES, weights=[c.weight for c in CITIES])[0]


def city_point(rng: random.Random) -> dict[str, float]:
    city = weighted_city(rng)
    return {"latitude": round(city.latitude + rng.gauss(0, 0.05), 5),
            "longitude": round(city.longitude + rng.gauss(0, 0.05), 5)}


Statement = tuple[str, tuple[Any, ...]]
Transaction = list[Statement]


@dataclass
class Scenario:
    name: str
    title: str
    write: bool
    requests: Callable[[asyncpg.Connection, int], Any]  # async (conn, n) -> list[Request]
    postgraphile: Callable[[list[Request]], list[Request]] | None = None
    # Writes: make captured transactions replayable once more (the capture committed them).
    replayable: Callable[[asyncpg.Connection, list[Transaction]], Any] | None = None


async def q1(conn: asyncpg.Connection, n: int) -> list[Request]:
    rng = random.Random(1)
    return [body(Q1, {"city": weighted_city(rng).name}) for _ in range(n)]


def with_query(query: str) -> Callable[[list[Request]], list[Request]]:
    """The same requests (same variables) asking another server's equivalent query."""
    def translate(requests: list[Request]) -> list[Request]:
        return [body(query, json.loads(r["body"])["variables"]) for r in requests]
    return translate


async def q2(conn: asyncpg.Connection, n: int) -> list[Request]:
    slugs = await conn.fetch(f"select slug from {await sampled(conn, 'businesses', n)}"
                             " where status = 'active' and deleted_at is null order by random() limit $1", n)
    return [body(Q2, {"slug": r["slug"]}) for r in slugs[:n]]


async def q3(conn: asyncpg.Connection, n: int) -> list[Request]:
    rng = random.Random(3)
    return [body(Q3, {"query": rng.choice(SEARCH_TERMS), "near": city_point(rng)}) for _ in range(n)]


async def q4(conn: asyncpg.Connection, n: int) -> list[Request]:
    rng = random.Random(4)
    return [body(Q4, {"near": city_point(rng)}) for _ in range(n)]


async def q5(conn: asyncpg.Connection, n: int) -> list[Request]:
    """90-day reports of businesses that have traffic, each asked by its owner."""
    rows = await conn.fetch("""
        select b.id, b.owner_id from businesses b
         where b.owner_id is not null
           and b.id in (select distinct business_id from business_daily_stats)
         limit $1""", n)
    if not rows:
        raise RuntimeError("Q5 needs view events: grow the data set with --events")
    today = date.today()
    window = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    tokens = {r["owner_id"]: token_for(r["owner_id"]) for r in rows}
    return [body(Q5, {"id": str(r["id"]), **window}, tokens[r["owner_id"]]) for r in (rows * n)[:n]]


async def a1(conn: asyncpg.Connection, n: int) -> list[Request]:
    rng = random.Random(6)
    return [body(A1, {"prefix": rng.choice(PREFIXES), "near": city_point(rng)}) for _ in range(n)]


async def v1(conn: asyncpg.Connection, n: int) -> list[Request]:
    """Page views of listed businesses, each body a different visitor (a visitor may record
    120 events a minute; a body is sent a few times a run)."""
    businesses = await conn.fetch(f"select id from {await sampled(conn, 'businesses', 2000)}"
                                  " where status = 'active' and deleted_at is null limit 2000")
    run = uuid.uuid4().hex[:8]
    return [body(V1, {"id": str(businesses[i % len(businesses)]["id"]), "visitor": f"bench-{run}-{i}"})
            for i in range(n)]


async def v1_replayable(conn: asyncpg.Connection, transactions: list[Transaction]) -> list[Transaction]:
    """A compiled view is one autocommit statement: replayed inside a transaction that the
    replay rolls back, so that repeating a visitor never reaches its per-minute limit."""
    return [[("BEGIN", ()), *t, ("COMMIT", ())] for t in transactions]


async def m1(conn: asyncpg.Connection, n: int) -> list[Request]:
    """New reviews by users who have written none, each a different user (reviews are rate
    limited per author) on a random listed business. Earlier runs' benchmark reviews are
    removed first, so that their authors count as without reviews again."""
    await remove_benchmark_reviews(conn)
    users = await conn.fetch(f"""
        select u.id from {await sampled(conn, 'users', n * 2, 'u')}
         where not exists (select 1 from business_reviews r where r.author_id = u.id)
           and not exists (select 1 from businesses b where b.owner_id = u.id)
           and not exists (select 1 from business_managers m where m.user_id = u.id)
         order by random() limit $1""", n)
    businesses = await conn.fetch(f"select id from {await sampled(conn, 'businesses', n)}"
                                  " where status = 'active' and deleted_at is null order by random() limit $1", n)
    if len(users) < n:
        raise RuntimeError(f"M1 needs {n} users without reviews, found {len(users)}")
    rng = random.Random(5)
    return [body(M1, {"input": {"businessId": str(businesses[i % len(businesses)]["id"]),
                                "rating": rng.randint(1, 5), "title": "Benchmark visit",
                                "content": f"Measured visit number {i}: friendly staff and fair prices."}},
                 token_for(users[i]["id"])) for i in range(n)]


async def m2(conn: asyncpg.Connection, n: int) -> list[Request]:
    """Owners editing their businesses' descriptions, each request a different business sent
    with the version it has now."""
    rows = await conn.fetch(f"""
        select id, owner_id, version from {await sampled(conn, 'businesses', n * 2)}
         where owner_id is not null and status = 'active' and deleted_at is null
         order by random() limit $1""", n)
    if len(rows) < n:
        raise RuntimeError(f"M2 needs {n} owned businesses, found {len(rows)}")
    tokens = {r["owner_id"]: token_for(r["owner_id"]) for r in rows}
    return [body(M2, {"id": str(r["id"]), "version": r["version"],
                      "input": {"description": f"Updated by the benchmark, edit {i}."}},
                 tokens[r["owner_id"]]) for i, r in enumerate(rows)]


async def m1_replayable(conn: asyncpg.Connection, transactions: list[Transaction]) -> list[Transaction]:
    """Remove the reviews the capture created, so their authors may write them again."""
    await remove_benchmark_reviews(conn)
    return transactions


async def remove_benchmark_reviews(conn: asyncpg.Connection) -> None:
    await conn.execute("delete from business_reviews where title = 'Benchmark visit'"
                       " and content like 'Measured visit number %'")


async def m2_replayable(conn: asyncpg.Connection, transactions: list[Transaction]) -> list[Transaction]:
    """Send each edit with the version its business has now (the capture moved it on)."""
    replayable = []
    for transaction in transactions:
        statements = []
        for query, args in transaction:
            if "api.update_business(" in query:
                version = await conn.fetchval("select version from businesses where id = $1", args[0])
                args = (args[0], version, *args[2:])  # (business_id, expected_version, patch)
            statements.append((query, args))
        replayable.append(statements)
    return replayable


SCENARIOS = [
    Scenario("Q1", "list: 20 businesses x category x 5 reviews with author", False, q1, with_query(Q1_POSTGRAPHILE)),
    Scenario("Q2", "one business by slug with details", False, q2, with_query(Q2_POSTGRAPHILE)),
    Scenario("Q3", "text + geo search", False, q3),
    Scenario("Q4", "nearby businesses", False, q4),
    Scenario("Q5", "90-day analytics report (owner token)", False, q5),
    Scenario("A1", "autocomplete, 8 suggestions near a point", False, a1),
    Scenario("V1", "recordBusinessView (anonymous)", True, v1, replayable=v1_replayable),
    Scenario("M1", "createReview", True, m1, replayable=m1_replayable),
    Scenario("M2", "updateBusiness with expectedVersion", True, m2, replayable=m2_replayable),
]
