"""Webhooks with a real HTTP receiver on 127.0.0.1: events in order with signatures that verify
by the documented scheme, a receiver down then up gets everything after, 500s pause the
subscription and a resume delivers again from a cursor, a draft never reaches someone who
cannot see it, and endpoints and scopes are checked."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import pytest

from gql.app import create_app
from gql.edge.endpoints import url_problem
from gql.settings import Settings
from gql.webhooks.delivery import NODE_FIELDS
from tests.support import GraphQLClient, ServerThread, wait_for
from tests.world import CREATE_BUSINESS, PASSWORD, SIGN_UP

CREATE_KEY = """mutation($scopes: [ApiKeyScope!]!) { createApiKey(name: "partner", scopes: $scopes) {
  created { secret } errors { code } } }"""
CREATE_HOOK = """mutation($url: String!, $topics: [WebhookTopic!]!) { createWebhook(url: $url, topics: $topics) {
  created { signingSecret webhook { id cursor status } } errors { field code message } } }"""
HOOKS = "{ me { webhooks { id status pausedReason cursor failures lastStatus lastError deliveries { status events } } } }"
UPDATE = """mutation($id: ID!, $input: BusinessInput!, $v: Int!) { updateBusiness(id: $id, input: $input, expectedVersion: $v) {
  business { version } errors { code } } }"""


@dataclass
class Receiver:
    """An endpoint that records what it is sent and answers `status` (after `delay` seconds)."""

    status: int = 200
    delay: float = 0.0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        """The events of the acknowledged requests, in arrival order."""
        with self.lock:
            return [e for _, body, status in self.requests if 200 <= status < 300
                    for e in json.loads(body)["events"]]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            time.sleep(state.delay)
            status = state.status
            with state.lock:
                state.requests.append((dict(self.headers), body, status))
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()


@dataclass
class Setup:
    http: httpx.AsyncClient
    url: str
    owner: GraphQLClient
    other: GraphQLClient
    category_id: str


@pytest.fixture
async def setup(fresh_database: str) -> AsyncIterator[Setup]:
    settings = Settings.from_env({
        "JWT_SECRET": "w" * 40, "GQL_WEBHOOK_ALLOW_PRIVATE": "1", "GQL_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        "GQL_WEBHOOK_MAX_ATTEMPTS": "3", "GQL_WEBHOOK_POLL_SECONDS": "0.05", "GQL_WEBHOOK_TIMEOUT_SECONDS": "0.5"})
    conn = await asyncpg.connect(fresh_database)
    try:
        category_id = str(await conn.fetchval("insert into categories (slug, name) values ('food', 'Food') returning id"))
    finally:
        await conn.close()
    with ServerThread(create_app(settings, fresh_database)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            anonymous = GraphQLClient(http)
            people = []
            for name in ("owner", "other"):
                signed = await anonymous.mutate(SIGN_UP, {"email": f"{name}-{uuid.uuid4().hex[:6]}@hooks.example",
                                                          "password": PASSWORD, "name": name})
                people.append(anonymous.as_user(signed["token"]))
            yield Setup(http, fresh_database, people[0], people[1], category_id)


async def business(s: Setup, who: GraphQLClient, name: str, publish: bool = True) -> str:
    made = await who.mutate(CREATE_BUSINESS, {"input": {"name": name, "primaryCategoryId": s.category_id,
                                                        "city": "Austin", "state": "TX"}, "publish": publish, "key": None})
    assert made["errors"] == [], made
    business_id: str = made["business"]["id"]
    return business_id


CREATE_SELECTED_HOOK = """mutation($url: String!, $topics: [WebhookTopic!]!, $selection: String) {
  createWebhook(url: $url, topics: $topics, selection: $selection) {
    created { signingSecret webhook { id cursor status selection } } errors { field code message } } }"""


async def hook(s: Setup, who: GraphQLClient, url: str, topics: list[str] | None = None,
               selection: str | None = None) -> dict[str, Any]:
    key = (await who.mutate(CREATE_KEY, {"scopes": ["READ", "WEBHOOKS"]}))["created"]["secret"]
    made = await who.as_user(key).mutate(CREATE_SELECTED_HOOK, {"url": url, "topics": topics or ["BUSINESS"],
                                                                "selection": selection})
    assert made["errors"] == [], made
    created: dict[str, Any] = made["created"]
    return created


def verified(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """The README's check: HMAC-SHA256 of "<t>.<body>" with the signing secret."""
    fields = dict(part.split("=", 1) for part in headers["X-Directory-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


async def test_events_arrive_in_order_once_with_valid_signatures(setup: Setup, receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    created = await hook(setup, setup.owner, url)
    business_id = await business(setup, setup.owner, "Hooked Tacos")
    for version, phone in ((1, "+1 512 555 0101"), (2, "+1 512 555 0102"), (3, "+1 512 555 0103")):
        assert (await setup.owner.mutate(UPDATE, {"id": business_id, "input": {"phone": phone}, "v": version}))["errors"] == []

    async def all_four() -> bool:
        return len(state.events()) >= 4

    await wait_for(all_four, timeout=20)
    events = state.events()
    assert [e["op"] for e in events] == ["INSERT", "UPDATE", "UPDATE", "UPDATE"]
    assert events[-1]["node"]["phone"] == "+1 512 555 0103", "a node is the object as it is when delivered"
    cursors = [e["cursor"] for e in events]
    assert len(set(cursors)) == 4
    assert len({e["id"] for e in events}) == 4 and all(e["entityId"] == business_id for e in events)
    assert set(events[-1]["node"]) == set(NODE_FIELDS["Business"]), "what the API shows, no more, no less"
    assert "quality_score" not in events[-1]["node"] and "field_versions" not in events[-1]["node"]
    for headers, body, _ in state.requests:
        assert verified(headers, body, created["signingSecret"])
        assert headers["Idempotency-Key"].startswith(created["webhook"]["id"])
    assert not verified(state.requests[0][0], state.requests[0][1] + b" ", created["signingSecret"]), \
        "a changed body fails the check"


async def test_a_receiver_down_gets_everything_in_order_when_it_is_back(
        setup: Setup, receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    await hook(setup, setup.owner, url)
    state.status = 503
    ids = [await business(setup, setup.owner, f"Down {n}") for n in range(3)]

    async def refused() -> bool:
        with state.lock:
            return len(state.requests) >= 2

    await wait_for(refused, timeout=20)
    state.status = 200

    async def delivered() -> bool:
        return [e["entityId"] for e in state.events()] == ids

    await wait_for(delivered, timeout=20)
    (hooked,) = (await setup.owner.data(HOOKS))["me"]["webhooks"]
    assert hooked["status"] == "ACTIVE" and hooked["failures"] == 0
    assert {d["status"] for d in hooked["deliveries"]} >= {503, 200}


async def test_failures_pause_the_webhook_and_a_resume_delivers_from_a_cursor(
        setup: Setup, receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    created = await hook(setup, setup.owner, url)
    start = created["webhook"]["cursor"]
    state.status = 500
    first = await business(setup, setup.owner, "Never acknowledged")

    async def paused() -> bool:
        hooks = (await setup.owner.data(HOOKS))["me"]["webhooks"]
        return hooks[0]["status"] == "PAUSED"

    await wait_for(paused, timeout=20)
    (hooked,) = (await setup.owner.data(HOOKS))["me"]["webhooks"]
    assert "HTTP 500" in hooked["pausedReason"] and hooked["lastStatus"] == 500 and hooked["cursor"] == start
    assert "gql_webhooks_paused 1.0" in (await setup.http.get("/metrics")).text
    state.status = 200
    resumed = await setup.owner.mutate("""mutation($id: ID!, $c: String) { resumeWebhook(id: $id, fromCursor: $c) {
      webhook { status } errors { code } } }""", {"id": hooked["id"], "c": start})
    assert resumed == {"webhook": {"status": "ACTIVE"}, "errors": []}

    async def delivered() -> bool:
        return first in [e["entityId"] for e in state.events()]

    await wait_for(delivered, timeout=20)
    state.delay = 2.0  # an endpoint that does not answer in time is cut at the timeout (0.5 s)
    await business(setup, setup.owner, "Slow")

    async def timed_out() -> bool:
        hooks = (await setup.owner.data(HOOKS))["me"]["webhooks"]
        return "Timeout" in (hooks[0]["lastError"] or "")

    await wait_for(timed_out, timeout=20)


async def test_a_draft_never_reaches_someone_who_cannot_see_it(setup: Setup, receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    await hook(setup, setup.other, url)
    draft = await business(setup, setup.owner, "Secret Draft", publish=False)
    assert (await setup.owner.mutate(UPDATE, {"id": draft, "input": {"phone": "+1 512 555 0199"}, "v": 1}))["errors"] == []
    public = await business(setup, setup.owner, "Public Place")

    async def public_arrived() -> bool:
        return public in [e["entityId"] for e in state.events()]

    await wait_for(public_arrived, timeout=20)
    with state.lock:
        everything = b"".join(body for _, body, _ in state.requests)
    assert draft.encode() not in everything and b"Secret Draft" not in everything


SELECTION = "{ id name phone rating __typename reviews(first: 3) { edges { node { rating } } } }"


async def test_a_selection_is_exactly_what_each_event_carries_signed_and_in_order(
        setup: Setup, receiver: tuple[Receiver, str]) -> None:
    """A webhook registered with a selection gets the changed object in the API's own shape
    (camelCase, keys in selection order), as its reader may see it: another user's webhook
    never hears of a draft."""
    state, url = receiver
    created = await hook(setup, setup.other, url, selection=SELECTION)
    assert created["webhook"]["selection"] == SELECTION
    draft = await business(setup, setup.owner, "Secret Draft", publish=False)
    business_id = await business(setup, setup.owner, "Selected Tacos")
    assert (await setup.owner.mutate(UPDATE, {"id": business_id, "input": {"phone": "+1 512 555 0101"},
                                              "v": 1}))["errors"] == []

    async def both() -> bool:
        return len(state.events()) >= 2

    await wait_for(both, timeout=20)
    events = state.events()
    assert [(e["op"], e["entityId"], e["tombstone"]) for e in events] == [
        ("INSERT", business_id, False), ("UPDATE", business_id, False)]
    node = {"id": business_id, "name": "Selected Tacos", "phone": "+1 512 555 0101", "rating": None,
            "__typename": "Business", "reviews": {"edges": []}}
    assert [list(e["node"]) for e in events] == [list(node)] * 2, "exactly the selection, keys in its order"
    assert events[-1]["node"] == node, "the object as it is when delivered"
    for headers, body, _ in state.requests:
        assert verified(headers, body, created["signingSecret"])
        assert draft.encode() not in body and b"Secret Draft" not in body


async def test_a_selection_that_cannot_be_served_is_refused_naming_why(setup: Setup) -> None:
    cases = [
        ("{ id name", ["BUSINESS"], "Syntax Error"),
        ("id name", ["BUSINESS"], "a selection set in braces"),
        ("{ id nope }", ["BUSINESS"], "Cannot query field 'nope' on type 'Business'."),
        ("{ rating }", ["REVIEW"], "Cannot query field 'rating' on type 'ChangedObject'. Did you mean to use an inline"),
        ("{ id " + "name " * 1000 + "}", ["BUSINESS"], "at most 4096 bytes"),
        ("{ reviews(first: 500) { edges { node { id } } } }", ["BUSINESS"],
         'Argument "first" must be between 0 and 100'),
        ("{ reviews(first: 3) { edges { node { business { reviews { edges { node { business { reviews { edges "
         "{ node { business { reviews { edges { node { id } } } } } } } } } } } } } } } }", ["BUSINESS"], "deep"),
    ]
    for selection, topics, problem in cases:
        made = await setup.owner.mutate(CREATE_SELECTED_HOOK, {"url": "https://example.com/h", "topics": topics,
                                                               "selection": selection})
        assert made["created"] is None, selection
        ((field_name, code, message),) = [(e["field"], e["code"], e["message"]) for e in made["errors"]]
        assert (field_name, code) == ("selection", "VALIDATION") and problem in message, (selection, message)
    assert (await setup.owner.data(HOOKS))["me"]["webhooks"] == [], "nothing was registered"


async def test_endpoints_and_scopes_are_checked(setup: Setup) -> None:
    reader = (await setup.owner.mutate(CREATE_KEY, {"scopes": ["READ"]}))["created"]["secret"]
    refused = await setup.owner.as_user(reader).mutate(CREATE_HOOK, {"url": "https://example.com/h", "topics": ["BUSINESS"]})
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    bad = await setup.owner.mutate(CREATE_HOOK, {"url": "ftp://example.com/h", "topics": ["BUSINESS"]})
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("url", "VALIDATION")]
    for private in ("http://127.0.0.1:9/h", "http://10.1.2.3/h", "http://169.254.169.254/latest", "http://[::1]/h",
                    "http://100.100.100.200/h", "http://[::ffff:127.0.0.1]/h", "http://[2002:7f00:1::]/h",
                    "http://0.0.0.0/h", "http://localhost/h",
                    # NAT64 (well-known and local-use prefixes) and IPv4-compatible forms of internal IPv4
                    "http://[64:ff9b::a9fe:a9fe]/latest", "http://[64:ff9b::a00:1]/h", "http://[64:ff9b:1::a00:1]/h",
                    "http://[::127.0.0.1]/h", "http://[::ffff:0:7f00:1]/h"):
        assert await url_problem(private, allow_private=False) is not None, private
    assert await url_problem("http://127.0.0.1:9/h", allow_private=True) is None


async def test_a_webhook_reads_within_its_keys_scope_and_businesses(setup: Setup, receiver: tuple[Receiver, str]) -> None:
    """A webhook made by a key without READ gets what the public may see; one made by a key
    limited to business A gets no tombstone of the user's business B."""
    state, url = receiver
    mine = await business(setup, setup.owner, "Shop A")
    write_only = (await setup.owner.mutate(CREATE_KEY, {"scopes": ["WEBHOOKS"]}))["created"]["secret"]
    limited = (await setup.owner.mutate("""mutation($b: [ID!]) { createApiKey(name: "a", scopes: [READ, WEBHOOKS],
      businessIds: $b) { created { secret } errors { code } } }""", {"b": [mine]}))["created"]["secret"]
    hooks = {}
    for name, key in (("write_only", write_only), ("limited", limited)):
        made = await setup.owner.as_user(key).mutate(CREATE_HOOK, {"url": url, "topics": ["BUSINESS"]})
        assert made["errors"] == [], made
        hooks[made["created"]["webhook"]["id"]] = name
    draft = await business(setup, setup.owner, "Other Draft B", publish=False)
    assert (await setup.owner.mutate(UPDATE, {"id": draft, "input": {"phone": "+1 512 555 0198"}, "v": 1}))["errors"] == []
    deleted = await setup.owner.mutate("""mutation($id: ID!) { deleteBusiness(id: $id) { errors { code } } }""",
                                       {"id": draft})
    assert deleted["errors"] == []
    assert (await setup.owner.mutate(UPDATE, {"id": mine, "input": {"phone": "+1 512 555 0197"}, "v": 1}))["errors"] == []

    def received(name: str) -> list[dict[str, Any]]:
        with state.lock:
            return [e for _, body, status in state.requests if 200 <= status < 300
                    for e in json.loads(body)["events"] if hooks[json.loads(body)["subscription"]] == name]

    async def both_saw_the_last() -> bool:
        return all(mine in [e["entityId"] for e in received(name) if e["op"] == "UPDATE"] for name in hooks.values())

    await wait_for(both_saw_the_last, timeout=20)
    for name in sorted(hooks.values()):  # (limited first)
        assert draft not in [e["entityId"] for e in received(name)], name
