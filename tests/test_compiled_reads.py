"""Compiled reads against the interpreter: random valid queries over the schema (seeded;
GQL_DIFFERENTIAL_QUERIES sets how many, default 500), each run as anonymous, a user, an owner,
a manager and an admin on two servers over one database, one compiling and one not: wherever
the compiler answered, the responses must be identical (where it did not, both interpreted). Plus what the compiled path promises by itself: one statement,
row-level security in force, nothing left behind on a pooled connection."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)

from gql.app import create_app
from gql.commands.seed import SeedOptions, seed_database
from gql.database import connect
from gql.schema import build_schema
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import GraphQLClient, ServerThread, drop, scratch_database
from tests.world import World, build_world

pytestmark = pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
QUERIES = int(os.environ.get("GQL_DIFFERENTIAL_QUERIES") or 500)
ROLES = ("anonymous", "reviewer", "owner", "manager", "admin")
SCHEMA = build_schema()._schema
# Fields whose arguments the generator knows how to fill; others are left out.
ROOTS = ("business", "businesses", "category", "categories", "review", "searchBusinesses", "nearbyBusinesses",
         "autocomplete", "me", "businessAnalytics", "changes", "platformStats", "myBusinesses",
         "businessClaims", "moderationQueue")
# Fields the compiler leaves to the interpreter, asked for now and then (the fallback).
INTERPRETED = {("Me", "email")}
TODAY = datetime.now(UTC).date()
# Mostly windows a report accepts; now and then one it refuses (too long, in the future, too early).
DAYS = [None, str(TODAY), str(TODAY - timedelta(days=9)), str(TODAY - timedelta(days=30)),
        str(TODAY - timedelta(days=90)), str(TODAY - timedelta(days=200)), str(TODAY - timedelta(days=400)),
        str(TODAY + timedelta(days=2)), "1999-12-31"]


@dataclass
class Servers:
    world: World
    compiled: str
    interpreted: str
    tokens: dict[str, str | None]
    slugs: list[str]
    business_ids: list[str]
    review_ids: list[str]
    category_slugs: list[str]
    cities: list[str]
    points: list[dict[str, float]]


@pytest.fixture(scope="module")
async def servers(server_url: str, migrated_template: str) -> AsyncIterator[Servers]:
    name, url = await scratch_database(server_url, template=migrated_template)
    conn = await connect(url)
    try:
        await seed_database(conn, SeedOptions(businesses=60, reviews=400, seed=7), quiet=True)
        # The world below makes its own "pizza" category.
        await conn.execute("update categories set slug = slug || '-demo' where slug in ('food', 'pizza')")
    finally:
        await conn.close()
    base = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_DEBUG_SQL": "1"})
    with ServerThread(create_app(base, url)) as compiled, \
            ServerThread(create_app(dataclasses.replace(base, compiled_reads=False), url)) as interpreted:
        async with httpx.AsyncClient(base_url=compiled.url, timeout=60) as http:
            world = await build_world(url, GraphQLClient(http))
            # A review waiting for moderation (it has a link), and a business in draft.
            pending = await world.reviewer.client.mutate(
                """mutation($input: CreateReviewInput!) { createReview(input: $input) { review { id status } } }""",
                {"input": {"businessId": world.listed_id, "rating": 2, "content": "see https://spam.example"}})
            assert pending["review"]["status"] == "PENDING"
            # Traffic for the listed business's report, and its service areas.
            for n in range(6):
                await GraphQLClient(http).data(
                    """mutation($id: ID!, $visitor: String!, $kind: ClickKind!) {
                         recordBusinessView(businessId: $id, visitorId: $visitor, referrer: "search",
                                            timeOnPageSeconds: 40, bounced: false) { counted }
                         recordBusinessClick(businessId: $id, visitorId: $visitor, kind: $kind) { counted } }""",
                    {"id": world.listed_id, "visitor": f"visitor-{n % 4}", "kind": ["CALL", "WEBSITE", "SAVE"][n % 3]})
            areas = await world.owner.client.mutate(
                """mutation($id: ID!, $areas: JSON) { setServiceAreas(businessId: $id, areas: $areas) { errors { code } } }""",
                {"id": world.listed_id, "areas": {"type": "Polygon", "coordinates": [
                    [[-97.8, 30.2], [-97.7, 30.2], [-97.7, 30.3], [-97.8, 30.3], [-97.8, 30.2]],
                    [[-97.76, 30.24], [-97.74, 30.24], [-97.74, 30.26], [-97.76, 30.26], [-97.76, 30.24]]]}})
            assert areas["errors"] == []
            # Changes for the sync feed's page: a review published, then deleted (a tombstone for
            # those who saw it), tagged with the author's device; an edit of the draft (its people's).
            review = await world.other.client.mutate(
                """mutation($input: CreateReviewInput!) { createReview(input: $input, clientId: "phone-1") {
                     review { id } errors { code message } } }""",
                {"input": {"businessId": world.listed_id, "rating": 5, "content": "Great crust, kind staff."}})
            assert review["errors"] == [], review
            await world.other.client.mutate(
                """mutation($id: ID!) { deleteReview(id: $id, clientId: "phone-1") { errors { code } } }""",
                {"id": review["review"]["id"]})
            version = (await world.owner.client.data("query($id: ID!) { business(id: $id) { version } }",
                                                      {"id": world.draft_id}))["business"]["version"]
            edit = await world.owner.client.mutate(
                """mutation($id: ID!, $input: BusinessInput!, $v: Int!) {
                     updateBusiness(id: $id, input: $input, expectedVersion: $v) { errors { code } } }""",
                {"id": world.draft_id, "v": version,
                 "input": world.business_input(name="Draft Pizza", description="Still a draft")})
            assert edit["errors"] == []
        conn = await connect(url)
        try:
            slugs = [r["slug"] for r in await conn.fetch("select slug from businesses order by slug")]
            ids = [str(r["id"]) for r in await conn.fetch("select id from businesses order by id")]
            reviews = [str(r["id"]) for r in await conn.fetch("select id from business_reviews order by id limit 40")]
            categories = [r["slug"] for r in await conn.fetch("select slug from categories order by slug")]
            cities = [r["city"] for r in await conn.fetch("select distinct city from businesses order by city")]
            points = [{"latitude": float(r["lat"]), "longitude": float(r["lon"])} for r in await conn.fetch(
                "select round(avg(latitude)::numeric, 4) lat, round(avg(longitude)::numeric, 4) lon"
                " from businesses where latitude is not null group by city order by city")]
        finally:
            await conn.close()
        reviews.append(pending["review"]["id"])
        tokens = {"anonymous": None, "reviewer": world.reviewer.token, "owner": world.owner.token,
                  "manager": world.manager.token, "admin": world.admin.token}
        yield Servers(world, compiled.url, interpreted.url, tokens, slugs, ids, reviews, categories, cities,
                      points)
    await drop(server_url, name)


@dataclass
class Generator:
    """A random valid document with its variables."""

    rng: random.Random
    servers: Servers
    cursors: list[str]
    variables: dict[str, Any] = field(default_factory=dict)
    definitions: list[str] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    counter: int = 0

    def next(self) -> str:
        self.counter += 1
        return str(self.counter)

    def value(self, type_: Any, literal: Any) -> str:
        """The literal, or a variable holding it (with its type's declaration)."""
        if self.rng.random() < 0.4:
            name = f"v{self.next()}"
            self.variables[name] = literal
            self.definitions.append(f"${name}: {type_}")
            return f"${name}"
        return render(get_named_type(type_), literal)

    def arguments(self, parent: str, name: str) -> dict[str, Any]:
        rng, s = self.rng, self.servers
        pick = rng.choice
        if (parent, name) == ("Query", "business"):
            return pick([{"slug": pick(s.slugs)}, {"id": pick(s.business_ids)}, {"slug": "no-such-business"},
                         {"id": "not-an-id"}, {"id": str(uuid.uuid4())}, {}, {"slug": pick(s.slugs), "id": pick(s.business_ids)}])
        if (parent, name) == ("Query", "businesses"):
            args: dict[str, Any] = {}
            flt = {k: v for k, v in {"categorySlug": pick([*s.category_slugs, "nothing"]),
                                     "city": pick(s.cities), "state": pick(["TX", "CA", "NY"]),
                                     "minRating": pick([1, 3.5, 4.2, 0, 6])}.items() if rng.random() < 0.25}
            if flt or rng.random() < 0.1:
                args["filter"] = flt
            if rng.random() < 0.7:
                args["orderBy"] = pick(["NAME", "RATING", "REVIEW_COUNT", "NEWEST"])
            if rng.random() < 0.8:
                args["first"] = pick([0, 1, 2, 3, 5, 20, 101, -1])
            if self.cursors and rng.random() < 0.4:
                args["after"] = pick([*self.cursors, "garbage"])
            return args
        if (parent, name) == ("Query", "category"):
            return {"slug": pick([*s.category_slugs, "no-such-category"])}
        if (parent, name) == ("Query", "review"):
            return {"id": pick([*s.review_ids, "nope", str(uuid.uuid4())])}
        if (parent, name) == ("Query", "autocomplete"):
            args = {"prefix": pick(["piz", "cof", "x", " s ", ""]), "limit": pick([3, 8, 0, 21])}
            if rng.random() < 0.4:
                args["near"] = pick([*s.points, {"latitude": 95.0, "longitude": 0.0}])
            return args
        if (parent, name) == ("Query", "changes"):
            args = {}
            if rng.random() < 0.6:
                args["first"] = pick([0, 1, 3, 10, 50, 101])
            if self.cursors and rng.random() < 0.5:
                args["after"] = pick(self.cursors)
            return args
        if (parent, name) == ("Query", "platformStats"):
            return {bound: pick(DAYS) for bound in ("from", "to") if rng.random() < 0.3}
        if (parent, name) == ("Query", "businessAnalytics"):
            world = s.world
            args = {"businessId": pick([world.listed_id, world.listed_id, world.draft_id, pick(s.business_ids),
                                        "nope"])}
            for bound in ("from", "to"):
                if rng.random() < 0.5:
                    args[bound] = pick(DAYS)
            return args
        if (parent, name) == ("Query", "nearbyBusinesses"):
            args = {"near": pick([*s.points, {"latitude": 95.0, "longitude": 0.0}])}
            if rng.random() < 0.7:
                args["radiusMeters"] = pick([500.0, 5000, 25000.5, 100000, 200000, 0])
            if rng.random() < 0.6:
                args["first"] = pick([0, 1, 3, 10, 101])
            if self.cursors and rng.random() < 0.3:
                args["after"] = pick(self.cursors)
            return args
        if (parent, name) == ("Query", "searchBusinesses"):
            args = {k: v for k, v in {
                "query": pick(["pizza", "coffee", "pizzza", "plumber", "  ", "zzqx"]),
                "near": pick(s.points), "radiusMeters": pick([2000.0, 25000, 150000]),
                "categorySlug": pick(s.category_slugs), "openNow": pick([True, False]),
                "minRating": pick([2, 4.5, 7]), "servesLocation": pick(s.points),
                "sort": pick(["BEST_MATCH", "DISTANCE", "RATING", "REVIEW_COUNT"]),
                "first": pick([0, 1, 5, 20]),
                "categorySlugs": pick([s.category_slugs[:2], s.category_slugs[-3:], s.category_slugs[3:4],
                                       ["nothing"], []]),
                "openAt": pick(["2026-12-07T14:00:00Z", "2026-12-07T23:30:00+09:00", "2026-06-01T08:00:00-07:00",
                                "2026-12-07T14:00:00", "1990-01-01T00:00:00Z"]),
            }.items() if rng.random() < 0.35}
            if self.cursors and rng.random() < 0.3:
                args["after"] = pick(self.cursors)
            return args
        if (parent, name) == ("Business", "reviews") or (parent, name) == ("Category", "businesses"):
            args = {}
            if rng.random() < 0.7:
                args["first"] = pick([0, 1, 2, 5, 101])
            if rng.random() < 0.5:
                args["orderBy"] = pick(["NEWEST", "OLDEST", "HIGHEST_RATING", "LOWEST_RATING", "MOST_HELPFUL"]
                                       if parent == "Business" else ["NAME", "RATING", "NEWEST"])
            if self.cursors and rng.random() < 0.3:
                args["after"] = pick(self.cursors)
            return args
        if (parent, name) == ("Business", "servesLocation"):
            return {"latitude": pick([30.27, 37.77, 91.0]), "longitude": pick([-97.74, -122.42, 0.0])}
        return {}

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        fields = [(n, f) for n, f in type_.fields.items() if self.usable(type_.name, n, f)
                  and ((type_.name, n) not in INTERPRETED or self.rng.random() < 0.2)]
        chosen = self.rng.sample(fields, k=min(len(fields), self.rng.randint(1, 6)))
        if self.rng.random() < 0.3:
            chosen.append(("__typename", None))
        parts = []
        for name, field_def in chosen:
            inner = None if field_def is None else get_named_type(field_def.type)
            if isinstance(inner, GraphQLObjectType) and depth >= 4:
                continue
            text = name
            if self.rng.random() < 0.2:
                text = f"a{self.next()}: {name}"
            if field_def is not None:
                args = self.arguments(type_.name, name)
                if args:
                    rendered = ", ".join(f"{k}: {self.value(field_def.args[k].type, v)}" for k, v in args.items())
                    text += f"({rendered})"
                if self.rng.random() < 0.1:
                    flag = f"f{self.next()}"
                    self.variables[flag] = self.rng.random() < 0.5
                    self.definitions.append(f"${flag}: Boolean!")
                    text += f" @{self.rng.choice(['include', 'skip'])}(if: ${flag})"
                if isinstance(inner, GraphQLObjectType):
                    text += " { " + self.wrapped(inner, self.selection(inner, depth + 1)) + " }"
                elif isinstance(inner, GraphQLUnionType):
                    if depth >= 4:
                        continue
                    members = self.rng.sample(inner.types, k=self.rng.randint(1, len(inner.types)))
                    text += " { __typename " + " ".join(
                        f"... on {m.name} {{ {self.selection(m, depth + 1)} }}" for m in members) + " }"
            parts.append(text)
        return " ".join(parts) or "__typename"

    def wrapped(self, type_: GraphQLObjectType, body: str) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            name = f"F{self.next()}"
            self.fragments.append(f"fragment {name} on {type_.name} {{ {body} }}")
            return f"...{name}"
        if roll < 0.3:
            return f"... on {type_.name} {{ {body} }}"
        return body

    def usable(self, parent: str, name: str, field_def: Any) -> bool:
        if parent == "Query":
            return name in ROOTS
        return all(isinstance(get_named_type(a.type), GraphQLScalarType | GraphQLEnumType) or
                   (parent, name) in (("Business", "reviews"), ("Category", "businesses"))
                   for a in field_def.args.values())

    def document(self) -> tuple[str, dict[str, Any]]:
        body = self.selection(SCHEMA.query_type, 0)  # type: ignore[arg-type]
        head = f"query Q({', '.join(self.definitions)})" if self.definitions else "query Q"
        return " ".join([head, "{", body, "}", *self.fragments]), self.variables


def render(type_: Any, value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(type_, GraphQLInputObjectType):
        return "{" + ", ".join(f"{k}: {render(get_named_type(type_.fields[k].type), v)}" for k, v in value.items()) + "}"
    if isinstance(type_, GraphQLNonNull | GraphQLList):
        return render(get_named_type(type_), value)
    return json.dumps(value)


def cursors_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k in ("cursor", "endCursor") and isinstance(v, str)] + \
            [c for v in value.values() for c in cursors_in(v)]
    if isinstance(value, list):
        return [c for v in value for c in cursors_in(v)]
    return []


async def ask(http: httpx.AsyncClient, url: str, token: str | None, query: str,
              variables: dict[str, Any]) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.headers.get("content-type", "").startswith("application/"), \
        f"{url} answered {response.status_code} {response.text[:100]}:\n{query}\n{json.dumps(variables)}"
    body: dict[str, Any] = response.json()
    body["status"] = response.status_code
    return body


def key_order(value: Any) -> Any:
    """The keys of every object in a response, in the order they were written."""
    if isinstance(value, dict):
        return [(k, key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_order(v) for v in value]
    return None


def without_extensions(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "extensions"}


async def test_random_queries_answer_the_same_compiled_and_interpreted(servers: Servers) -> None:
    rng = random.Random(20261129)
    cursors: list[str] = []
    compiled_count = 0
    reasons: dict[str, int] = {}
    answered = one_statement = 0  # answers without errors; of those, in one statement
    async with httpx.AsyncClient(timeout=60) as http:
        for n in range(QUERIES):
            query, variables = Generator(rng, servers, cursors).document()
            for role in ROLES:
                token = servers.tokens[role]
                fast, slow = await asyncio.gather(ask(http, servers.compiled, token, query, variables),
                                                  ask(http, servers.interpreted, token, query, variables))
                executor = fast.get("extensions", {}).get("executor", "")
                if not fast.get("errors"):
                    answered += 1
                    one_statement += fast.get("extensions", {}).get("sqlStatements") == 1
                if executor != "compiled":
                    # Both interpreted: nothing of the compiler's to compare (and with several
                    # failing fields, which errors the interpreter reports depends on timing).
                    assert "failed" not in executor, f"query {n} as {role}: {executor}\n{query}"
                    reason = executor.split(":")[-1].strip()[:40]
                    reasons[reason] = reasons.get(reason, 0) + 1
                    continue
                assert without_extensions(fast) == without_extensions(slow), \
                    f"query {n} as {role}:\n{query}\n{json.dumps(variables)}\n" \
                    f"compiled:    {json.dumps(fast)}\ninterpreted: {json.dumps(slow)}"
                # Keys in selection order on both (GraphQL spec, "Serialization Format").
                assert key_order(fast.get("data")) == key_order(slow.get("data")), \
                    f"query {n} as {role}:\n{query}\ncompiled:    {json.dumps(fast)}\ninterpreted: {json.dumps(slow)}"
                compiled_count += 1
                assert fast["extensions"]["sqlStatements"] == 1
            cursors.extend(cursors_in(slow.get("data")))
            del cursors[:-50]
    # The generator also asks for what the compiler leaves to the interpreter (now and then).
    assert compiled_count >= QUERIES, (compiled_count, reasons)
    assert one_statement >= 0.95 * answered, (one_statement, answered, reasons)
    print(f"differential: {compiled_count} compiled answers, {one_statement} of {answered} answers "
          f"without errors in one statement; interpreted: {reasons}")


async def test_the_benchmark_reads_are_one_statement(servers: Servers) -> None:
    from bench.scenarios import Q1, Q2

    async with httpx.AsyncClient(timeout=60) as http:
        for query, variables in ((Q1, {"city": servers.cities[0]}), (Q2, {"slug": servers.slugs[0]})):
            body = await ask(http, servers.compiled, None, query, variables)
            assert body["extensions"] == {"sqlStatements": 1, "executor": "compiled"}
            assert body["data"] == without_extensions(await ask(http, servers.interpreted, None, query, variables))["data"]


DRAFT = "query($id: ID!) { business(id: $id) { name status } }"
REVIEW = "query($id: ID!) { review(id: $id) { status } }"


async def test_compiled_reads_see_what_the_role_may_see(servers: Servers) -> None:
    world = servers.world
    pending = servers.review_ids[-1]
    async with httpx.AsyncClient(timeout=60) as http:
        for role, draft_visible, pending_visible in (("anonymous", False, False), ("reviewer", False, True),
                                                     ("owner", True, False), ("manager", True, False),
                                                     ("admin", True, True)):
            token = servers.tokens[role]
            draft = await ask(http, servers.compiled, token, DRAFT, {"id": world.draft_id})
            review = await ask(http, servers.compiled, token, REVIEW, {"id": pending})
            assert draft["extensions"]["executor"] == review["extensions"]["executor"] == "compiled"
            assert (draft["data"]["business"] is not None) is draft_visible, role
            assert (review["data"]["review"] is not None) is pending_visible, role


async def test_nothing_of_a_request_stays_on_a_pooled_connection(servers: Servers, server_url: str) -> None:
    """One pool connection: an admin's compiled read, then an anonymous one on the same
    connection, which must not see the admin's draft."""
    world = servers.world
    settings = dataclasses.replace(Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_DEBUG_SQL": "1"}),
                                   pool_min_size=1, pool_max_size=1)
    with ServerThread(create_app(settings, world.url)) as server:
        async with httpx.AsyncClient(timeout=60) as http:
            for _ in range(3):
                admin = await ask(http, server.url, servers.tokens["admin"], DRAFT, {"id": world.draft_id})
                anonymous = await ask(http, server.url, None, DRAFT, {"id": world.draft_id})
                assert admin["data"]["business"] is not None and anonymous["data"]["business"] is None
                assert anonymous["extensions"]["executor"] == "compiled"


async def test_nearby_businesses_carry_distance_and_bearing_compiled(servers: Servers) -> None:
    query = """query($near: GeoPointInput!) { nearbyBusinesses(near: $near, radiusMeters: 30000, first: 3) {
      totalCount edges { cursor node { name distanceMeters bearingDegrees } } pageInfo { endCursor } } }"""
    async with httpx.AsyncClient(timeout=60) as http:
        fast = await ask(http, servers.compiled, None, query, {"near": servers.points[0]})
        slow = await ask(http, servers.interpreted, None, query, {"near": servers.points[0]})
        assert fast["extensions"]["executor"] == "compiled"
        assert without_extensions(fast) == without_extensions(slow)
        edges = fast["data"]["nearbyBusinesses"]["edges"]
        assert edges and all(e["node"]["distanceMeters"] is not None for e in edges)
        # The next page, from the compiled cursor, on both executors.
        after = {"near": servers.points[0], "after": fast["data"]["nearbyBusinesses"]["pageInfo"]["endCursor"]}
        paged = query.replace("($near: GeoPointInput!)", "($near: GeoPointInput!, $after: String)").replace(
            "first: 3)", "first: 3, after: $after)")
        assert without_extensions(await ask(http, servers.compiled, None, paged, after)) == \
            without_extensions(await ask(http, servers.interpreted, None, paged, after))


@pytest.mark.parametrize("words, sort", [("pizza", "BEST_MATCH"), ("pizzza", "BEST_MATCH"), ("plumbing", "DISTANCE"),
                                         ("zzqxv", "RATING"), (None, "REVIEW_COUNT")])
async def test_search_compiles_with_ranks_distances_and_suggestions(servers: Servers, words: str | None,
                                                                     sort: str) -> None:
    query = """query($q: String, $near: GeoPointInput, $sort: SearchSort!, $after: String) {
      searchBusinesses(query: $q, near: $near, sort: $sort, first: 2, after: $after) {
        totalCount didYouMean edges { cursor node { name distanceMeters bearingDegrees } }
        pageInfo { hasNextPage endCursor } } }"""
    variables: dict[str, Any] = {"q": words, "near": servers.points[0], "sort": sort, "after": None}
    async with httpx.AsyncClient(timeout=60) as http:
        for _page in range(2):
            fast = await ask(http, servers.compiled, None, query, variables)
            slow = await ask(http, servers.interpreted, None, query, variables)
            assert fast["extensions"]["executor"] == "compiled"
            assert without_extensions(fast) == without_extensions(slow)
            variables["after"] = fast["data"]["searchBusinesses"]["pageInfo"]["endCursor"]
            if variables["after"] is None:
                break


async def test_me_compiles_unless_it_asks_for_the_sealed_email(servers: Servers) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        for role in ROLES:
            for query, executor in (("{ me { id displayName roles createdAt } }", "compiled"),
                                    ("{ me { id email } }", "interpreted: Me.email")):
                fast = await ask(http, servers.compiled, servers.tokens[role], query, {})
                slow = await ask(http, servers.interpreted, servers.tokens[role], query, {})
                assert fast["extensions"]["executor"].startswith(executor)
                assert without_extensions(fast) == without_extensions(slow)
                assert (fast["data"]["me"] is None) is (role == "anonymous")


async def pages_alike(http: httpx.AsyncClient, servers: Servers, role: str, query: str, field: str,
                      variables: dict[str, Any], first: int) -> list[dict[str, Any]]:
    """Every page of an item list (items, endCursor, hasNextPage) as `role` reads it, each answered
    alike by both executors and, when it is answered, compiled in one statement. The pages' data,
    or [] when the list is refused to the role (both executors refuse it alike)."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    for _page in range(20):
        page_variables = {**variables, "first": first, "after": after}
        fast = await ask(http, servers.compiled, servers.tokens[role], query, page_variables)
        slow = await ask(http, servers.interpreted, servers.tokens[role], query, page_variables)
        assert without_extensions(fast) == without_extensions(slow), (role, page_variables)
        if fast.get("errors"):
            return []
        assert fast["extensions"]["executor"] == "compiled" and fast["extensions"]["sqlStatements"] == 1
        pages.append(fast["data"][field])
        if not pages[-1]["hasNextPage"]:
            return pages
        after = pages[-1]["endCursor"]
    raise AssertionError("more than 20 pages")


MINE = """query($first: Int!, $after: String) { myBusinesses(first: $first, after: $after) {
  items { role business { id name status } managers { id displayName } } endCursor hasNextPage } }"""


async def test_my_businesses_compile_and_page_as_the_interpreter(servers: Servers) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        for role in ROLES:
            pages = await pages_alike(http, servers, role, MINE, "myBusinesses", {}, 1)
            if role == "owner":
                assert len(pages) > 1, "the owner runs more than one business: several pages"
        for bad in (0, 101):
            fast = await ask(http, servers.compiled, servers.tokens["owner"], MINE, {"first": bad})
            slow = await ask(http, servers.interpreted, servers.tokens["owner"], MINE, {"first": bad})
            assert without_extensions(fast) == without_extensions(slow) and fast["errors"][0]["extensions"]["argument"] == "first"


CLAIMS = """query($status: ClaimStatus!, $first: Int!, $after: String) { businessClaims(status: $status, first: $first, after: $after) {
  items { id status message createdAt decidedAt decisionNote business { id name } claimant { displayName } } endCursor hasNextPage } }"""


async def test_business_claims_compile_and_page_as_the_interpreter(servers: Servers) -> None:
    world = servers.world
    conn = await connect(world.url)
    try:  # listings without an owner, claimed by two people
        unowned = [str(r[0]) for r in await conn.fetch(
            "select id from businesses where owner_id is null and status = 'active' and deleted_at is null"
            " order by id limit 2")]
    finally:
        await conn.close()
    assert len(unowned) == 2
    claim = """mutation($id: ID!, $m: String!) { claimBusiness(businessId: $id, message: $m) { errors { code } } }"""
    async with httpx.AsyncClient(base_url=servers.compiled, timeout=60) as http:
        for person in (world.reviewer, world.other):
            for business_id in unowned:
                made = await GraphQLClient(http).as_user(person.token).mutate(
                    claim, {"id": business_id, "m": f"I run it ({person.email})"})
                assert made["errors"] == [] or made["errors"][0]["code"] == "CONFLICT", made  # (once per module)
    async with httpx.AsyncClient(timeout=60) as http:
        for role in ROLES:
            pages = await pages_alike(http, servers, role, CLAIMS, "businessClaims", {"status": "PENDING"}, 1)
            assert (pages == []) is (role == "anonymous"), role  # (refused in SQL: sign in first)
            if role == "admin":
                assert len(pages) > 1, "an administrator sees every pending claim: several pages"


QUEUE = """query($first: Int!, $after: String) { moderationQueue(first: $first, after: $after) {
  items { review { id rating status author { displayName } } waitingSince flags { reason flaggedAt }
          history { decision note decidedAt moderator { displayName } } } endCursor hasNextPage } }"""


async def test_the_moderation_queue_compiles_and_pages_as_the_interpreter(servers: Servers) -> None:
    world = servers.world
    async with httpx.AsyncClient(base_url=servers.compiled, timeout=60) as http:
        admin = GraphQLClient(http).as_user(world.admin.token)
        conn = await connect(world.url)
        try:
            published = [str(r[0]) for r in await conn.fetch(
                "select r.id from business_reviews r join businesses b on b.id = r.business_id"
                " where r.status = 'published' and r.deleted_at is null and b.status = 'active'"
                " and b.deleted_at is null order by r.id limit 3")]
        finally:
            await conn.close()
        flag = """mutation($id: ID!, $reason: String!) { flagReview(reviewId: $id, reason: $reason) { errors { code } } }"""
        for reason, person in (("spam", world.reviewer), ("off-topic", world.other)):
            for review_id in published:
                flagged = await GraphQLClient(http).as_user(person.token).mutate(flag, {"id": review_id, "reason": reason})
                assert flagged["errors"] in ([], [{"code": "CONFLICT"}]), flagged  # (once per module)
        decided = await admin.mutate("""mutation($id: ID!) { moderateReview(id: $id, decision: PUBLISH, note: "fine") {
          errors { code } } }""", {"id": published[0]})
        assert decided["errors"] == [], decided
        again = await GraphQLClient(http).as_user(world.manager.token).mutate(flag, {"id": published[0], "reason": "again"})
        assert again["errors"] in ([], [{"code": "CONFLICT"}]), again  # (flagged since the decision)
        for role in ROLES:
            pages = await pages_alike(http, servers, role, QUEUE, "moderationQueue", {}, 2)
            assert (pages != []) is (role == "admin"), role  # (refused to all but moderators and admins)
            if role == "admin":
                items = [item for page in pages for item in page["items"]]
                assert len(pages) > 1 and any(i["history"] for i in items) and any(i["flags"] for i in items)


ANALYTICS = """query($id: ID!, $from: Date, $to: Date) { businessAnalytics(businessId: $id, from: $from, to: $to) {
  from to totalViews uniqueVisitors averageTimeOnPageSeconds bounceRate clickThroughRate
  clicks { call website directions share save } daily { date views uniqueVisitors clicks }
  topReferrers { referrer views } ratingDistribution { rating count } weeklyReviews { week reviews averageRating } } }"""


async def test_reports_compile_for_whom_they_are_for_and_are_refused_to_others(servers: Servers) -> None:
    world = servers.world
    async with httpx.AsyncClient(timeout=60) as http:
        for role, allowed in (("anonymous", False), ("reviewer", False), ("owner", True), ("manager", True),
                              ("admin", True)):
            for window in ({}, {"from": str(TODAY - timedelta(days=3)), "to": str(TODAY)}):
                variables = {"id": world.listed_id, **window}
                fast = await ask(http, servers.compiled, servers.tokens[role], ANALYTICS, variables)
                slow = await ask(http, servers.interpreted, servers.tokens[role], ANALYTICS, variables)
                assert without_extensions(fast) == without_extensions(slow), role
                if allowed:
                    assert fast["extensions"]["executor"] == "compiled"
                    report = fast["data"]["businessAnalytics"]
                    assert report["totalViews"] == 6 and report["uniqueVisitors"] == 4
                    assert report["clicks"]["call"] == 2 and report["to"] == str(TODAY)
                else:  # the database refuses; the interpreter reports it, naming the argument
                    assert fast["extensions"]["executor"].startswith("interpreted: the compiled statement was refused")
                    assert fast["errors"][0]["extensions"]["argument"] == "businessId"
            stats = "{ platformStats { refreshedAt weekly { week businesses reviews users } topCities { city activity } } }"
            fast = await ask(http, servers.compiled, servers.tokens[role], stats, {})
            assert without_extensions(fast) == without_extensions(
                await ask(http, servers.interpreted, servers.tokens[role], stats, {}))
            executor = fast["extensions"]["executor"]
            assert executor == "compiled" if role == "admin" else \
                executor.startswith("interpreted: the compiled statement was refused")


async def test_autocomplete_and_service_areas_compile(servers: Servers) -> None:
    query = """query($id: ID!, $near: GeoPointInput) { autocomplete(prefix: "pi", near: $near, limit: 5) {
      kind label slug businessId distanceMeters } business(id: $id) { serviceAreas } }"""
    async with httpx.AsyncClient(timeout=60) as http:
        for near in (None, servers.points[0]):
            variables = {"id": servers.world.listed_id, "near": near}
            fast = await ask(http, servers.compiled, None, query, variables)
            slow = await ask(http, servers.interpreted, None, query, variables)
            assert fast["extensions"]["executor"] == "compiled"
            assert without_extensions(fast) == without_extensions(slow)
            assert fast["data"]["autocomplete"]
            assert fast["data"]["business"]["serviceAreas"]["type"] == "MultiPolygon"


CHANGES = """query($after: String) { changes(first: 100, after: $after) { endCursor hasMore events {
  cursor op entity entityId businessId at clientId tombstone
  node { __typename ... on Business { name status } ... on Review { rating reviewStatus: status } ... on Category { slug }
         ... on ReviewResponse { content } } } } }"""


async def test_the_change_page_compiles_as_each_role_sees_it(servers: Servers) -> None:
    world = servers.world
    tokens = {**servers.tokens, "author": world.other.token}
    async with httpx.AsyncClient(timeout=60) as http:
        for role, token in tokens.items():
            fast = await ask(http, servers.compiled, token, CHANGES, {"after": None})
            slow = await ask(http, servers.interpreted, token, CHANGES, {"after": None})
            assert fast["extensions"]["executor"] == "compiled", fast
            assert without_extensions(fast) == without_extensions(slow), role
            events = fast["data"]["changes"]["events"]
            assert any(e["entityId"] == world.draft_id for e in events) is (role in ("owner", "manager", "admin"))
            # The deleted review: its insert is nobody's now, its deletion a tombstone for all.
            tombstones = [e for e in events if e["tombstone"]]
            assert [(e["entity"], e["node"]) for e in tombstones] == [("Review", None)], role
            assert {e["clientId"] for e in events} == ({"phone-1", None} if role == "author" else {None}), role
            # The next page, from the compiled cursor, is empty on both.
            after = {"after": fast["data"]["changes"]["endCursor"]}
            assert without_extensions(await ask(http, servers.compiled, token, CHANGES, after)) == \
                without_extensions(await ask(http, servers.interpreted, token, CHANGES, after))


def test_every_field_of_a_compiled_type_is_compiled_or_interpreted_for_a_reason() -> None:
    """A field added to the schema and forgotten by the compiler fails here, instead of sending
    every operation that selects it to the interpreter without a word."""
    from graphql import GraphQLObjectType

    from gql.compiled.compiler import _FIELDS, INTERPRETED

    for type_name, compiled in _FIELDS.items():
        type_ = SCHEMA.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType), type_name
        interpreted = {f.split(".", 1)[1] for f in INTERPRETED if f.startswith(f"{type_name}.")}
        if "*" in interpreted:  # (every field not compiled, for one reason)
            interpreted = set(type_.fields) - set(compiled)
        assert set(type_.fields) - set(compiled) == interpreted, type_name
        assert not set(compiled) & interpreted, type_name
    assert {f.split(".", 1)[0] for f in INTERPRETED} <= set(_FIELDS)


def test_a_default_window_is_compiled_again_the_next_day() -> None:
    """A plan whose window ends today (no `to`) holds for its UTC day only: kept from
    yesterday, it is compiled again with today's window."""
    from graphql import parse

    from gql.compiled import plans

    query = 'query { businessAnalytics(businessId: "5b3f1c1e-0000-4000-8000-000000000000") { from to } }'
    document = parse(query)
    fresh = plans.planned(SCHEMA, document, query, None, None)
    assert isinstance(fresh, plans.Statement) and fresh.valid_on == TODAY and str(TODAY) in fresh.params
    yesterday = TODAY - timedelta(days=1)
    stale = dataclasses.replace(fresh, valid_on=yesterday, params=[str(yesterday)])
    plans.PLANS.keep(plans._key([query, None, False, []], {}, fresh.shaping), stale, 1000)
    again = plans.planned(SCHEMA, document, query, None, None)
    assert again == fresh


def test_a_plan_serves_every_value_of_a_variable_that_is_only_a_parameter() -> None:
    """10,000 slugs compile once: the kept plan takes each request's value as its parameter.
    A value that shapes the statement (a page size, an @include) keys a plan of its own."""
    from graphql import parse

    from gql.compiled import plans

    def plan(query: str, variables: dict[str, Any]) -> plans.Statement:
        found = plans.planned(SCHEMA, parse(query), query, None, variables)
        assert isinstance(found, plans.Statement), found
        return found

    by_slug = "query($slug: String!) { business(slug: $slug) { id name } }"
    first, second = plan(by_slug, {"slug": "first-slug"}), plan(by_slug, {"slug": "second-slug"})
    assert first.sql is second.sql  # the same plan, not compiled again
    assert "first-slug" in first.params and "second-slug" in second.params and "first-slug" not in second.params
    assert [b.variable for b in second.bindings] == ["slug"] and not second.shaping

    by_id = "query($id: ID!) { review(id: $id) { id } }"
    one, two = plan(by_id, {"id": str(uuid.UUID(int=1))}), plan(by_id, {"id": str(uuid.UUID(int=2))})
    assert one.sql is two.sql and str(uuid.UUID(int=2)) in two.params and str(uuid.UUID(int=1)) not in two.params
    refused = plans.planned(SCHEMA, parse(by_id), by_id, None, {"id": "not-an-id"})
    assert isinstance(refused, plans.NotCompiled) and "not-an-id" in str(refused)  # the interpreter says so
    assert plan(by_id, {"id": str(uuid.UUID(int=3))}).sql is one.sql  # and the plan still serves the next

    paged = "query($n: Int!, $more: Boolean!) { businesses(first: $n) { edges { node { id name @include(if: $more) } } } }"
    small, large = plan(paged, {"n": 1, "more": False}), plan(paged, {"n": 2, "more": False})
    assert small.sql is not large.sql and small.shaping == {"n", "more"}
    assert plan(paged, {"n": 1, "more": False}).sql is small.sql
    assert "name" in plan(paged, {"n": 1, "more": True}).sql and "'name'" not in small.sql

    either = "query($id: ID, $slug: String) { business(id: $id, slug: $slug) { name } }"
    by_name = plan(either, {"id": None, "slug": "some-slug"})
    by_key = plan(either, {"id": str(uuid.UUID(int=4)), "slug": None})  # another shape: nullness is in the key
    assert "businesses_by_slug" in by_name.sql and "businesses_by_id" in by_key.sql
    assert isinstance(plans.planned(SCHEMA, parse(either), either, None, {"id": None, "slug": None}),
                      plans.NotCompiled)
    assert plan(either, {"id": None, "slug": "other-slug"}).params == ["other-slug"]

    # A variable the plan never reads (under a skipped field) must still hold a valid value.
    skipped = "query($w: Boolean!, $n: Int) { business(slug: \"x\") { name reviews(first: $n) @include(if: $w) { totalCount } } }"
    assert plan(skipped, {"w": False, "n": 5})
    invalid = plans.planned(SCHEMA, parse(skipped), skipped, None, {"w": False, "n": "five"})
    assert isinstance(invalid, plans.NotCompiled) and "$n" in str(invalid)  # the interpreter's error


async def test_an_argument_refused_under_a_missing_parent_is_still_one_statement(servers: Servers) -> None:
    """A nested argument the interpreter refuses only matters where its field is reached: under
    a business that is not there the compiled answer stands (one statement); under one that is,
    the interpreter answers with its error, as it always has."""
    query = "query($slug: String!) { business(slug: $slug) { name reviews(first: 500) { edges { node { id } } } } }"
    async with httpx.AsyncClient(timeout=60) as http:
        missing = await ask(http, servers.compiled, None, query, {"slug": "no-such-business"})
        assert missing["data"] == {"business": None} and "errors" not in missing
        assert missing["extensions"] == {"sqlStatements": 1, "executor": "compiled"}
        found = await ask(http, servers.compiled, None, query, {"slug": servers.slugs[0]})
        assert found["extensions"]["executor"].startswith("interpreted: the compiled statement was refused")
        assert 'Argument "first" must be between 0 and 100' in found["errors"][0]["message"]
        slow = await ask(http, servers.interpreted, None, query, {"slug": servers.slugs[0]})
        assert without_extensions(found) == without_extensions(slow)
        # Refused once (by the front, which had seen the document compiled), not twice.
        assert found["extensions"]["sqlStatements"] == slow["extensions"]["sqlStatements"], (found, slow)


BY_VARIABLES: list[tuple[str, str]] = [
    ("query($slug: String!) { business(slug: $slug) { id name status } }", "slug"),
    ("query($id: ID!) { business(id: $id) { name status reviews(first: 2) { edges { node { id } } } } }", "id"),
    ("query($id: ID!) { review(id: $id) { status content } }", "review"),
    ("query($slug: String!) { category(slug: $slug) { name } }", "category"),
]


async def test_one_plan_answers_each_value_as_the_interpreter(servers: Servers) -> None:
    """The same document asked with one value after another (listed, draft, unknown, not an
    ID) as each role: the kept plan, its parameters set per request, answers each as the
    interpreter does, and a value the compiler would refuse is still the interpreter's."""
    world = servers.world
    async with httpx.AsyncClient(timeout=60) as http:
        draft = await ask(http, servers.interpreted, servers.tokens["owner"],
                          "query($id: ID!) { business(id: $id) { slug } }", {"id": world.draft_id})
        values = {"slug": [servers.slugs[0], draft["data"]["business"]["slug"], "no-such-business", servers.slugs[1]],
                  "id": [servers.business_ids[0], world.draft_id, str(uuid.UUID(int=7)), "not-an-id",
                         servers.business_ids[1]],
                  "review": [servers.review_ids[0], servers.review_ids[-1], "not-an-id", servers.review_ids[1]],
                  "category": [servers.category_slugs[0], "no-such-category", servers.category_slugs[1]]}
        for query, kind in BY_VARIABLES:
            name = "slug" if kind in ("slug", "category") else "id"
            for role in ROLES:
                executors = []
                for value in values[kind]:
                    fast = await ask(http, servers.compiled, servers.tokens[role], query, {name: value})
                    slow = await ask(http, servers.interpreted, servers.tokens[role], query, {name: value})
                    assert without_extensions(fast) == without_extensions(slow), (query, role, value)
                    executors.append(fast["extensions"]["executor"])
                assert executors.count("compiled") >= len(values[kind]) - 1, (query, role, executors)


async def test_a_report_with_every_field_skipped_is_still_refused_to_whom_it_is_refused(servers: Servers) -> None:
    """Found by a 5,000-query run: with no field of the report selected, PostgreSQL never ran
    the report function, so nothing refused the anonymous caller."""
    world = servers.world
    query = """query($id: ID!, $no: Boolean! = false) {
      platformStats { refreshedAt @include(if: $no) }
      businessAnalytics(businessId: $id) { totalViews @include(if: $no) } }"""
    async with httpx.AsyncClient(timeout=60) as http:
        for role in ROLES:
            fast = await ask(http, servers.compiled, servers.tokens[role], query, {"id": world.listed_id})
            slow = await ask(http, servers.interpreted, servers.tokens[role], query, {"id": world.listed_id})
            assert without_extensions(fast) == without_extensions(slow), role
            assert (fast.get("errors") is not None) is (role != "admin"), role


RECORD_VIEW = """mutation($id: ID!, $visitor: String!, $t: Int, $event: String) {
  recordBusinessView(businessId: $id, visitorId: $visitor, referrer: "maps", timeOnPageSeconds: $t,
                     clientEventId: $event) { counted again: counted errors { code field message } __typename } }"""
RECORD_CLICK = """mutation($id: ID!, $kind: ClickKind!, $event: String) {
  recordBusinessClick(businessId: $id, visitorId: "clicker", kind: $kind, clientEventId: $event) { counted } }"""


async def test_recording_traffic_compiles_and_answers_as_the_interpreter(servers: Servers) -> None:
    """Each recorder call is one statement that writes once (a duplicated `counted` does not
    count twice); a refusal is the interpreter's to answer, with nothing written."""
    business = servers.business_ids[0]
    cases: list[tuple[str, dict[str, Any], str]] = [
        (RECORD_VIEW, {"id": business, "visitor": "v1", "t": 30, "event": "first"}, "compiled"),
        (RECORD_VIEW, {"id": business, "visitor": "v1", "t": 30, "event": "first"}, "compiled"),  # a retry
        (RECORD_VIEW, {"id": business, "visitor": "v2", "t": None, "event": None}, "compiled"),
        (RECORD_VIEW, {"id": servers.world.draft_id, "visitor": "v1", "t": 1, "event": None}, "refused"),
        (RECORD_VIEW, {"id": business, "visitor": "v1", "t": -1, "event": None}, "refused"),
        (RECORD_VIEW, {"id": "not-an-id", "visitor": "v1", "t": 1, "event": None}, "interpreted"),
        (RECORD_CLICK, {"id": business, "kind": "DIRECTIONS", "event": "click-1"}, "compiled"),
    ]
    async with httpx.AsyncClient(timeout=60) as http:
        for query, variables, how in cases:
            answers = []
            for url in (servers.compiled, servers.interpreted):
                if variables.get("event"):  # each executor records its own event
                    variables = {**variables, "event": f"{variables['event']}-{url}"}
                answers.append(await ask(http, url, None, query, variables))
            fast, slow = answers
            assert without_extensions(fast) == without_extensions(slow), variables
            executor = fast["extensions"]["executor"]
            if how == "compiled":
                assert (executor, fast["extensions"]["sqlStatements"]) == ("compiled", 1), (variables, fast)
            elif how == "refused":
                assert executor.startswith("interpreted: the compiled statement was refused")
                assert [e["field"] for e in fast["data"]["recordBusinessView"]["errors"]] == \
                    ["businessId" if variables["id"] == servers.world.draft_id else "timeOnPageSeconds"]
            else:
                assert executor.startswith("interpreted:") and "refused" not in executor
        assert [a["data"] for a in answers] == [{"recordBusinessClick": {"counted": True}}] * 2
    conn = await connect(servers.world.url)
    try:  # two views and a click per executor, counted once each
        figures = await conn.fetchrow(
            "select sum(views) as views, sum(directions) as directions from business_daily_stats"
            " where business_id = $1", uuid.UUID(business))
        assert (figures["views"], figures["directions"]) == (4, 2)
    finally:
        await conn.close()


async def test_a_key_without_the_read_scope_reads_as_the_public_in_both_executors(servers: Servers) -> None:
    """WRITE_REVIEW or WEBHOOKS alone reads nothing of its user's: not the owner's draft, `me`,
    `myBusinesses`, the report, nor the draft's edits in the change page - what an anonymous
    caller gets, compiled and interpreted alike (a READ key still reads as its user)."""
    world = servers.world
    secrets = {}
    async with httpx.AsyncClient(base_url=servers.compiled, timeout=60) as http:
        owner = GraphQLClient(http, world.owner.token)
        for scopes in (["WRITE_REVIEW"], ["WEBHOOKS"], ["READ"]):
            made = await owner.mutate(
                """mutation($s: [ApiKeyScope!]!) { createApiKey(name: "scopes", scopes: $s) {
                     created { secret } errors { code } } }""", {"s": scopes})
            assert made["errors"] == [], made
            secrets[scopes[0]] = made["created"]["secret"]
    reads = [("""query($id: ID!) { business(id: $id) { id name status } }""", {"id": world.draft_id}),
             ("""{ me { id apiKeys { id } sessions { id } webhooks { id } } }""", {}),
             ("""{ myBusinesses { items { role business { id } } } }""", {}),
             ("""query($id: ID!) { businessAnalytics(businessId: $id) { totalViews } }""",
              {"id": world.listed_id}),
             ("""query($id: ID!) { businessAnalytics(businessId: $id) { totalViews } }""",
              {"id": world.draft_id}),
             ("""{ changes(first: 100) { events { entityId tombstone } } }""", {})]
    async with httpx.AsyncClient(timeout=60) as http:
        for query, variables in reads:
            public = without_extensions(await ask(http, servers.compiled, None, query, variables))
            for url in (servers.compiled, servers.interpreted):
                for scope in ("WRITE_REVIEW", "WEBHOOKS"):
                    answer = without_extensions(await ask(http, url, secrets[scope], query, variables))
                    assert answer == public, (url, scope, query, answer, public)
        for url in (servers.compiled, servers.interpreted):
            draft = await ask(http, url, secrets["READ"], reads[0][0], reads[0][1])
            assert draft["data"]["business"]["name"] == "Draft Pizza", "READ reads as the owner"
