"""Seeded, bounded fuzzing over every argument of the schema: whatever a client sends, the
answer is never an HTTP 500 and never "Unexpected error." (a clear error naming what was
wrong, or a normal answer)."""

from __future__ import annotations

import json
import random
import re
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


LONE_SURROGATE = "\ud800"
# Malformed and deceptive addresses: brackets left open, ports out of range, spaces, controls,
# a right-to-left override, other schemes, no host.
BAD_URLS = ["http://[::1", "http://[::1]:99999/x", "http://example.com:port/", "http://exa mple.com/",
            "http://example.com/\u202egpj.exe", "http://exam\u200bple.com/", "http://example.com/a\x00b",
            "http://example.com/" + LONE_SURROGATE, "javascript:alert(1)", "http://", "http://:80/",
            "https://" + "a" * 600 + ".com/", "http://" + "a" * 70 + ".example.com/"]
# A cursor's key of every JSON type, and text PostgreSQL cannot take.
FORGED_KEYS: list[Any] = [{}, [], None, True, 1.5, "a\x00b", "a" + LONE_SURROGATE, "x" * 5000, 2**80, {"a": [1]}]


def forged_cursor(order: Any, key: Any) -> str:
    import base64
    return base64.urlsafe_b64encode(json.dumps([order, key]).encode()).decode()


def client_mistake(status: int, text: str) -> str | None:
    """Why an answer is not a clear client error or a normal answer, or None."""
    if (status >= 500 and status != 503) or "Unexpected error" in text:
        return f"{status} {text[:300]}"
    return None


async def post_all(port: int, bodies: list[dict[str, Any]], token: str | None = None) -> list[str]:
    failures: list[str] = []
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for body in bodies:
            answer = await http.post("/graphql", content=json.dumps(body, ensure_ascii=True), headers=headers)
            problem = client_mistake(answer.status_code, answer.text)
            if problem:
                failures.append(f"{json.dumps(body)[:200]} -> {problem}")
    return failures


async def test_lone_surrogates_anywhere_in_a_request_are_client_errors(world: World) -> None:
    s = LONE_SURROGATE
    bodies = [
        {"query": "query A { categories { slug } }", "operationName": "A" + s},
        {"query": f'{{ business(slug: "ab{s}") {{ id }} }}'},
        {"query": f"# {s}\n{{ categories {{ slug }} }}"},
        {"query": f'{{ business(id: "{s}") {{ id }} }}'},
        {"query": f'mutation {{ signUp(email: "a{s}@example.com", password: "p{s}assword", displayName: "{s}") {{ token }} }}'},
        {"query": "{ categories { slug } }", "extensions": {"note": s}},
        {"query": "{ categories { slug } }", "extensions": {s: 1}},
    ]
    assert not await post_all(world.port, bodies)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        answer = await http.get("/graphql", params={"query": "{ categories { slug } }", "operationName": "%ED%A0%80"},
                                headers={"accept": "application/json"})
        assert client_mistake(answer.status_code, answer.text) is None, answer.text
    refused = (await post_all_answers(world.port, bodies[:2]))
    assert all(status == 400 and "surrogate" in text for status, text in refused), refused


async def post_all_answers(port: int, bodies: list[dict[str, Any]]) -> list[tuple[int, str]]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        return [((a := await http.post("/graphql", content=json.dumps(b, ensure_ascii=True),
                                       headers={"content-type": "application/json"})).status_code, a.text)
                for b in bodies]


async def test_mutated_documents_never_get_a_500(world: World) -> None:
    """Each document with characters a client should not send put in at random places."""
    rng = random.Random(SEED)
    documents = [
        '{ business(id: "00000000-0000-0000-0000-000000000000") { id name } }',
        'mutation { createBusiness(input: {name: "A", legalName: "B", shortDescription: "C", primaryCategoryId: "x", '
        'city: "Austin", state: "TX", tags: ["t"], latitude: 1.5, hours: []}) { errors { field } } }',
        'mutation { signUp(email: "a@example.com", password: "password1", displayName: "A") { token } }',
        '{ businesses(first: 2, after: "abc") { edges { cursor } } }',
    ]
    inserts = [LONE_SURROGATE, "\x00", "\udfff", "\ufffe", "\u202e", '"', "\\", "\\u", "{", "$", "\n"]
    bodies = []
    for document in documents:
        for _ in range(40):
            at = rng.randrange(len(document))
            bodies.append({"query": document[:at] + rng.choice(inserts) + document[at:]})
    failures = await post_all(world.port, bodies, world.owner.token)
    assert not failures, "\n".join(failures[:20])


async def test_forged_cursors_of_every_json_type_are_refused_by_name(world: World) -> None:
    cursors = [forged_cursor("NAME", [key, str(uuid.uuid4())]) for key in FORGED_KEYS]
    cursors += [forged_cursor("NAME", key) for key in FORGED_KEYS]  # the key itself not a list
    cursors += [forged_cursor(order, ["x", str(uuid.uuid4())]) for order in ({}, None, 1, ["NAME"])]
    cursors += [forged_cursor("NAME", ["x", key]) for key in FORGED_KEYS]  # the id part
    document = "query($after: String) { businesses(first: 1, orderBy: NAME, after: $after) { totalCount } }"
    changes = "query($c: String) { changes(after: $c) { __typename } }"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        for argument, query, variable, cursor in (
                *(("after", document, "after", c) for c in cursors),
                *(("after", changes, "c", forged_cursor("CHANGES", [key])) for key in FORGED_KEYS)):
            answer = (await http.post("/graphql", json={"query": query, "variables": {variable: cursor}},
                                      headers={"authorization": f"Bearer {world.admin.token}"})).json()
            assert answer["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}, (cursor, answer)


async def test_subscriptions_sent_over_http_are_told_where_to_go(world: World) -> None:
    document = "subscription { changes { __typename } }"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        answers = [await http.post("/graphql", json={"query": document}),
                   await http.post("/graphql", json={"query": document},
                                   headers={"accept": "application/graphql-response+json"}),
                   await http.get("/graphql", params={"query": document}, headers={"accept": "application/json"})]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert "WebSocket" in answer.json()["errors"][0]["message"], answer.text


async def send(world: World, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """As the owner, in JSON that escapes what UTF-8 cannot carry (lone surrogates)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        answer = await http.post("/graphql", content=json.dumps({"query": query, "variables": variables}),
                                 headers={"content-type": "application/json",
                                          "authorization": f"Bearer {world.owner.token}"})
    body: dict[str, Any] = answer.json()
    return body


def refused_naming(answer: dict[str, Any], mutation: str, field: str) -> bool:
    """A UserError naming the field, or (text no server can store: NUL, a lone surrogate) the
    variable's own error naming the path to it."""
    if answer.get("errors"):
        (error,) = answer["errors"]
        return error["extensions"]["code"] == "BAD_USER_INPUT" and re.search(rf"\$(\w+\.)?{field}\b", error["message"]) is not None
    return [(e["field"], e["code"]) for e in answer["data"][mutation]["errors"]] == [(field, "VALIDATION")]


async def test_malformed_urls_in_every_url_field_are_refused_naming_it(world: World) -> None:
    update = """mutation($id: ID!, $input: BusinessInput!) { updateBusiness(id: $id, input: $input, expectedVersion: 1) {
      errors { field code message } } }"""
    hook = """mutation($url: String!) { createWebhook(url: $url, topics: [BUSINESS]) { errors { field code message } } }"""
    fields: dict[str, Any] = {
        "website": lambda u: u, "logoUrl": lambda u: u, "coverUrl": lambda u: u,
        "photos": lambda u: [{"url": u}], "socialLinks": lambda u: [{"platform": "X", "url": u}]}
    before = await world.owner.client.data("query($id: ID!) { business(id: $id) { version } }", {"id": world.listed_id})
    for field, shape in fields.items():
        for url in BAD_URLS:
            answer = await send(world, update, {"id": world.listed_id, "input": {field: shape(url)}})
            assert refused_naming(answer, "updateBusiness", field), (field, url, answer)
    for url in BAD_URLS:
        answer = await send(world, hook, {"url": url})
        assert refused_naming(answer, "createWebhook", "url"), (url, answer)
    after = await world.owner.client.data("query($id: ID!) { business(id: $id) { version } }", {"id": world.listed_id})
    assert after == before  # nothing changed


async def test_json_under_any_json_content_type_is_checked_alike(world: World) -> None:
    """What the server reads as JSON (application/json, application/jsonx, ...) gets every
    check of a JSON body: depth, UTF-8, field types, text."""
    bodies = [b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
              json.dumps({"query": "{ __typename }", "operationName": LONE_SURROGATE}).encode(),
              b'{"query": "{ __typename \xff}"}', b'{"query": 5}']
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=60) as http:
        for content_type in ("application/json", "application/jsonx", "application/json-seq", "text/x-application/json"):
            for body in bodies:
                answer = await http.post("/graphql", content=body, headers={"content-type": content_type})
                assert answer.status_code == 400, (content_type, body[:50], answer.status_code, answer.text[:200])


async def test_malformed_websocket_payloads_are_errors_for_that_operation(world: World) -> None:
    from tests.support import FeedClient

    async with FeedClient(world.port) as client:
        for number, payload in enumerate(({"query": 5}, {"query": "{ __typename }", "variables": [1]},
                                          {"query": "{ __typename }", "extensions": "x"},
                                          {"query": "{ __typename }", "documentId": 7}), start=1):
            await client.ws.send(json.dumps({"id": str(number), "type": "subscribe", "payload": payload}))
            message = await client.message()
            assert message["id"] == str(number) and message["type"] == "error", (payload, message)
            assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
        await client.ws.send(json.dumps({"id": "ok", "type": "subscribe", "payload": {"query": "{ __typename }"}}))
        assert (await client.message())["type"] == "next"  # the socket is still open
