"""Seeded, bounded fuzzing over every argument of the schema: whatever a client sends, the
answer is never an HTTP 500 and never "Unexpected error." (a clear error naming what was
wrong, or a normal answer)."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import httpx
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)

from gql.resolvers.paging import encode_cursor
from gql.schema import build_schema
from tests.world import World

SEED = 20261129
REQUESTS_PER_ARGUMENT = 3

STRINGS = ["ab\x00cd", "ab\ud800cd", "x" * 20_000, "", " ", "'; drop table businesses; --", "\uff57\uff57\uff57.spam-shop.com",
           "\u202e\u0301", "%s%n", "../../etc/passwd"]
CURSORS = [encode_cursor("NAME", ["x", str(uuid.uuid4())]), encode_cursor("CHANGES", [2**80]),
           encode_cursor("RATING", [1e308, 2**70, "x"]), "bm90IGEgY3Vyc29y", "===", "W10"]
NUMBERS = [2**31, -2**31 - 1, 5e-324, -0.0, 1e308, -1e308, 0, -1, 12345678901234567890]
DATES = ["9999-12-31", "0001-01-01", "1970-01-01", "2026-02-30", "yesterday", ""]
IDS = ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", str(uuid.uuid4()), "ab\x00cd", "1" * 5000]
JSON_VALUES = [None, [], {}, [[[[[[]]]]]], {"type": "Polygon", "coordinates": [[[[[[[[1]]]]]]]]},
               {"type": "Polygon", "coordinates": [[[0, 0], [1e308, 1e308], [0, 1], [0, 0]]]}]


def bad_values(kind: GraphQLInputType, rng: random.Random) -> list[Any]:
    named = get_named_type(kind)
    name = getattr(named, "name", "")
    if isinstance(named, GraphQLEnumType):
        return ["NOT_A_VALUE", 3]
    if isinstance(named, GraphQLInputObjectType):
        return [{}, {"unknown": 1}, "a string"]
    if name in ("Int", "Float"):
        return rng.sample(NUMBERS, 4)
    if name == "Boolean":
        return ["yes", 2]
    if name == "ID":
        return rng.sample(IDS, 3)
    if name == "Date":
        return rng.sample(DATES, 3)
    if name in ("JSON", "GeoJSON"):
        return rng.sample(JSON_VALUES, 3)
    return rng.sample(STRINGS, 4) + rng.sample(CURSORS, 2)


def good_value(kind: GraphQLInputType, depth: int = 0) -> Any:
    if isinstance(kind, GraphQLNonNull):
        return good_value(kind.of_type, depth)
    if isinstance(kind, GraphQLList):
        return [good_value(kind.of_type, depth)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {name: good_value(field.type, depth + 1) for name, field in kind.fields.items()
                if isinstance(field.type, GraphQLNonNull) and depth < 4}
    assert isinstance(kind, GraphQLScalarType)
    return {"Int": 1, "Float": 1.5, "Boolean": True, "ID": str(uuid.uuid4()), "Date": "2026-01-01",
            "DateTime": "2026-01-01T00:00:00Z"}.get(kind.name, "x")


def selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    return "" if is_leaf_type(named) else "{ __typename }"


def requests_for(root: str, name: str, field: GraphQLField, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """Documents calling `name` with one argument (or one input field) bad at a time."""
    args: dict[str, GraphQLArgument] = field.args
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
    call = ", ".join(f"{a}: ${a}" for a in args)
    document = f"{root}{f'({declared})' if declared else ''} {{ {name}{f'({call})' if call else ''} {selection(field)} }}"
    good = {a: good_value(arg.type) for a, arg in args.items() if isinstance(arg.type, GraphQLNonNull)}
    out: list[tuple[str, dict[str, Any]]] = []
    for a, arg in args.items():
        for value in bad_values(arg.type, rng)[:REQUESTS_PER_ARGUMENT]:
            out.append((document, {**good, a: value}))
        named = get_named_type(arg.type)
        if isinstance(named, GraphQLInputObjectType):  # one field of the input bad at a time
            base = good_value(arg.type) or {}
            fields: dict[str, GraphQLInputField] = named.fields
            for f, input_field in fields.items():
                for value in bad_values(input_field.type, rng)[:2]:
                    out.append((document, {**good, a: {**base, f: value}}))
    return out


def all_requests() -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(SEED)
    schema = build_schema()._schema
    out: list[tuple[str, dict[str, Any]]] = []
    for root, kind in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert isinstance(kind, GraphQLObjectType)
        for name, field in kind.fields.items():
            out += requests_for(root, name, field, rng)
    return out


async def test_no_input_gets_a_500_or_an_unexpected_error(world: World) -> None:
    requests = all_requests()
    assert len(requests) > 300
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        for token in (None, world.owner.token):
            headers = {"authorization": f"Bearer {token}"} if token else {}
            for document, variables in requests:
                body = json.dumps({"query": document, "variables": variables}, ensure_ascii=True)
                answer = await http.post("/graphql", content=body,
                                         headers={**headers, "content-type": "application/json"})
                text = answer.text
                if (answer.status_code >= 500 and answer.status_code != 503) or "Unexpected error" in text:
                    failures.append(f"{answer.status_code} {document} {json.dumps(variables)[:300]} -> {text[:300]}")
    assert not failures, f"{len(failures)} of {2 * len(requests)}:\n" + "\n".join(failures[:30])


async def test_malformed_bodies_are_clear_client_errors(world: World) -> None:
    bodies = [b"null", b"42", b'"a string"', b"[]", b"\xff\xfe not utf-8", b"[" * 10_000 + b"]" * 10_000,
              b'{"query": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
              b'{"query": "{ categories { name } }", "variables": ' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
              b'{"query": 1}', b'{"query": "{ categories { name } }", "variables": "x"}', b"{not json"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        for body in bodies:
            answer = await http.post("/graphql", content=body, headers={"content-type": "application/json"})
            assert answer.status_code == 400, (body[:40], answer.status_code, answer.text[:200])
            assert answer.json()["errors"][0]["message"], answer.text
        too_large = b'{"query": "' + b"#" * (1024 * 1024) + b'"}'
        answer = await http.post("/graphql", content=too_large, headers={"content-type": "application/json"})
        assert answer.status_code == 413 and "larger than" in answer.json()["errors"][0]["message"]
