"""Accounts and tokens: sign-up, sign-in, me, and every way a token can be bad."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import websockets

from gql.database import connect
from gql.identity.sealing import ADDRESS, email_lookup
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import GraphQLClient
from tests.world import LOG_IN, PASSWORD, SIGN_UP, World

WORLD_KEY = Settings.from_env({}).data_key  # the world's server has the default data directory


async def test_sign_up_then_me(world: World) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@Example.com"
    payload = await world.anonymous.mutate(SIGN_UP, {"email": email, "password": PASSWORD, "name": "Newcomer"})
    assert payload["errors"] == []
    assert payload["user"]["email"] == email.lower() and payload["user"]["roles"] == []
    me = (await world.anonymous.as_user(payload["token"]).data("{ me { id email displayName } }"))["me"]
    assert me == {"id": payload["user"]["id"], "email": email.lower(), "displayName": "Newcomer"}
    assert (await world.anonymous.data("{ me { id } }"))["me"] is None


async def test_passwords_are_stored_as_argon2id_hashes(world: World) -> None:
    conn = await connect(world.url)
    try:
        stored = await conn.fetchval("select password_hash from users where id = $1", world.owner.id)
    finally:
        await conn.close()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("email, password, name, field", [
    ("not-an-email", PASSWORD, "X", "email"),
    ("short@example.com", "short", "X", "password"),
    ("blank@example.com", PASSWORD, "   ", "displayName"),
    ("long@example.com", PASSWORD, "x" * 101, "displayName"),
])
async def test_bad_sign_up_input_is_a_validation_error(
    world: World, email: str, password: str, name: str, field: str
) -> None:
    payload = await world.anonymous.mutate(SIGN_UP, {"email": email, "password": password, "name": name})
    assert payload["token"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", field)]


async def test_text_that_cannot_be_stored_is_refused_before_anything_runs(world: World) -> None:
    message = await world.anonymous.error(SIGN_UP, {"email": "nul@example.com", "password": PASSWORD, "name": "a\x00b"})
    assert "$name" in message and "NUL" in message
    body = json.dumps({"query": SIGN_UP, "variables": {"email": "x\ud800@example.com", "password": PASSWORD,
                                                         "name": "X"}})  # ASCII JSON carries the surrogate
    answer = await world.anonymous.http.post("/graphql", content=body, headers={"content-type": "application/json"})
    message = answer.json()["errors"][0]["message"]
    assert "$email" in message and "surrogate" in message


async def test_an_email_signs_up_once(world: World) -> None:
    payload = await world.anonymous.mutate(
        SIGN_UP, {"email": world.owner.email.upper(), "password": PASSWORD, "name": "Again"})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", "email")]


async def test_log_in_with_a_wrong_password_or_unknown_email(world: World) -> None:
    for email, password in ((world.other.email, "wrong password!"), ("nobody@example.com", PASSWORD)):
        payload = await world.anonymous.mutate(LOG_IN, {"email": email, "password": password})
        assert payload["token"] is None
        assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]


async def test_login_is_throttled_after_repeated_failures_and_recorded(world: World) -> None:
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    await world.anonymous.mutate(SIGN_UP, {"email": email, "password": PASSWORD, "name": "Victim"})
    codes = []
    for _ in range(6):
        payload = await world.anonymous.mutate(LOG_IN, {"email": email, "password": "wrong password!"})
        codes.append(payload["errors"][0]["code"])
    assert codes == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]
    # Even the right password is refused while throttled.
    payload = await world.anonymous.mutate(LOG_IN, {"email": email, "password": PASSWORD})
    assert payload["token"] is None and payload["errors"][0]["code"] == "RATE_LIMITED"
    conn = await connect(world.url)
    try:
        kinds = await conn.fetch("select kind, client_address_sealed from security_events"
                                 " where email_lookup = $1 order by id", email_lookup(WORLD_KEY, email))
    finally:
        await conn.close()
    assert [k["kind"] for k in kinds] == ["login_failed"] * 5 + ["login_throttled"] * 2
    assert {WORLD_KEY.open(k["client_address_sealed"], ADDRESS) for k in kinds} == {"127.0.0.1"}


async def test_racing_wrong_passwords_get_exactly_the_limit_of_password_checks(world: World) -> None:
    email = f"raced-{uuid.uuid4().hex[:8]}@example.com"
    await world.anonymous.mutate(SIGN_UP, {"email": email, "password": PASSWORD, "name": "Raced"})
    assert world.server is not None
    # A client of their own: the racers' 30 connections stay out of the world's shared client.
    async with httpx.AsyncClient(base_url=world.server.url, timeout=30) as http:
        results = await asyncio.gather(*(GraphQLClient(http).mutate(
            LOG_IN, {"email": email, "password": f"wrong password {i}"}) for i in range(30)))
    codes = sorted(r["errors"][0]["code"] for r in results)
    assert codes == ["RATE_LIMITED"] * 25 + ["UNAUTHENTICATED"] * 5


async def test_login_is_throttled_per_client_address_across_emails(server_url: str) -> None:
    """20 failures from one address, each for a different email, throttle the 21st attempt."""
    import httpx

    from gql.app import create_app
    from gql.commands.migrate import Migrator
    from gql.settings import Settings
    from tests.support import ServerThread, drop, scratch_database

    name, url = await scratch_database(server_url)
    conn = await connect(url)
    await Migrator(conn).up()
    await conn.close()
    try:
        with ServerThread(create_app(Settings.from_env({}), url)) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                client = GraphQLClient(http)
                results = [await client.mutate(LOG_IN, {"email": f"guess{i}@example.com", "password": "password1"})
                           for i in range(21)]
    finally:
        await drop(server_url, name)
    assert [r["errors"][0]["code"] for r in results] == ["UNAUTHENTICATED"] * 20 + ["RATE_LIMITED"]


def token(secret: str = WORLD_JWT_SECRET, **claims: object) -> str:
    now = datetime.now(UTC)
    body = {"sub": str(uuid.uuid4()), "roles": [], "iat": now, "exp": now + timedelta(minutes=5)} | claims
    return jwt.encode(body, secret, algorithm="HS256")


BAD_TOKENS = {
    "forged with another key": token(secret="not-the-server-secret-but-just-as-long-as-it"),
    "expired": token(exp=datetime.now(UTC) - timedelta(seconds=1)),
    "malformed": "abc.def.ghi",
    "unsigned (alg none)": jwt.encode({"sub": str(uuid.uuid4()), "exp": int(time.time()) + 300}, None, algorithm="none"),
    "missing expiry": jwt.encode({"sub": str(uuid.uuid4())}, WORLD_JWT_SECRET, algorithm="HS256"),
    "subject not a uuid": token(sub="1 or 1=1"),
}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_bad_tokens_are_refused_not_downgraded(world: World, name: str) -> None:
    response = await world.anonymous.http.post(
        "/graphql", json={"query": "{ categories { slug } }"},
        headers={"authorization": f"Bearer {BAD_TOKENS[name]}"})
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and "Invalid token" in error["message"]
    assert "data" not in response.json()


async def test_an_admin_claim_in_a_forged_token_gets_nothing(world: World) -> None:
    forged = token(secret="a-guessed-secret-that-is-long-enough-to-sign", sub=world.other.id, roles=["admin"])
    response = await world.anonymous.http.post(
        "/graphql", json={"query": "{ me { roles } }"}, headers={"authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_authorization_header_must_be_bearer(world: World) -> None:
    response = await world.anonymous.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"authorization": f"Basic {world.owner.token}"})
    assert response.status_code == 401 and "Bearer" in response.json()["errors"][0]["message"]


async def ws_session(world: World, payload: dict[str, object]) -> tuple[str, object]:
    port = world.anonymous.http.base_url.port
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql",
                                  subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            ack = json.loads(await ws.recv())
        except websockets.exceptions.ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None
        assert ack["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { email } }"}}))
        return "ok", json.loads(await ws.recv())["payload"]["data"]["me"]


async def test_websocket_identity_comes_from_connection_init(world: World) -> None:
    assert await ws_session(world, {"Authorization": f"Bearer {world.owner.token}"}) == \
        ("ok", {"email": world.owner.email})
    assert await ws_session(world, {"token": world.owner.token}) == ("ok", {"email": world.owner.email})
    assert await ws_session(world, {}) == ("ok", None)
    assert await ws_session(world, {"clientId": "device-1"}) == ("ok", None)
    # The shapes clients' libraries and docs use (Apollo's and Hasura's docs, graphql-ws).
    for shape in ({"headers": {"Authorization": f"Bearer {world.owner.token}"}},
                  {"headers": {"authorization": f"Bearer {world.owner.token}"}},
                  {"authorization": f"Bearer {world.owner.token}"}, {"authToken": world.owner.token}):
        assert await ws_session(world, shape) == ("ok", {"email": world.owner.email}), shape
    # Something, but no credentials in a shape read here: refused, never served as anonymous.
    for unread in ({"Auth": world.owner.token}, {"headers": {"X-Token": world.owner.token}}, {"jwt": "x"},
                   # two different credentials: which one was meant?
                   {"Authorization": f"Bearer {world.owner.token}", "authorization": "Bearer junk"},
                   {"Authorization": f"Bearer {world.owner.token}", "headers": {"Authorization": "Bearer junk"}},
                   {"token": world.owner.token, "authToken": "junk"}):
        assert await ws_session(world, unread) == ("closed", 4403), unread
    for bad in ("expired", "forged with another key"):
        assert await ws_session(world, {"Authorization": f"Bearer {BAD_TOKENS[bad]}"}) == ("closed", 4403)


async def test_a_pooled_connection_carries_nothing_to_the_next_request(world: World) -> None:
    """Admin then anonymous on a pool of one connection: nothing of the admin survives."""
    import httpx

    from gql.app import create_app
    from gql.settings import Settings
    from tests.support import ServerThread

    settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_POOL_MIN": "1", "GQL_POOL_MAX": "1"})
    draft = f'{{ business(id: "{world.draft_id}") {{ name }} }}'
    with ServerThread(create_app(settings, world.url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            client = GraphQLClient(http)
            assert (await client.as_user(world.admin.token).data(draft))["business"] == {"name": "Draft Pizza"}
            assert (await client.data(draft))["business"] is None
            assert (await client.data("{ me { id } }"))["me"] is None
            assert (await client.as_user(world.other.token).data(draft))["business"] is None
    conn = await connect(world.url)
    try:  # and in SQL: a new transaction has no role and no claims
        assert await conn.fetchval("select current_setting('request.jwt.claims', true)") in (None, "")
        assert await conn.fetchval("select current_setting('role')") == "none"
    finally:
        await conn.close()


@pytest.mark.parametrize("trusted, throttled_apart", [("127.0.0.1", True), (None, False)])
async def test_forwarded_addresses_count_only_from_trusted_proxies(
        fresh_database: str, trusted: str | None, throttled_apart: bool) -> None:
    """Behind a trusted proxy each client has its own sign-in throttle; from anyone else,
    X-Forwarded-For is ignored, so writing it cannot dodge the throttle."""
    import httpx

    from gql.app import create_app
    from gql.settings import Settings
    from tests.support import ServerThread

    settings = Settings.from_env({"GQL_TRUSTED_PROXIES": trusted} if trusted else {})
    with ServerThread(create_app(settings, fresh_database)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            async def attempt(i: int, forwarded: str) -> str:
                answer = await http.post("/graphql", headers={"x-forwarded-for": f"{forwarded}, 127.0.0.1"}, json={
                    "query": LOG_IN, "variables": {"email": f"guess{i}@example.com", "password": "password1"}})
                code: str = answer.json()["data"]["logIn"]["errors"][0]["code"]
                return code
            for i in range(20):
                assert await attempt(i, "203.0.113.7") == "UNAUTHENTICATED"
            assert await attempt(20, "203.0.113.7") == "RATE_LIMITED"
            other = await attempt(21, "198.51.100.9")
    assert other == ("UNAUTHENTICATED" if throttled_apart else "RATE_LIMITED")
