"""Accounts that last, through the API: short-lived access tokens with rotating refresh tokens
(a spent one presented again ends the session), signing out one device or all, open sockets
of an ended session closed, password resets and email verification through the outbox."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from gql.app import create_app
from gql.commands.outbox import pending
from gql.identity.data_key import DataKey
from gql.settings import Settings
from tests.support import REPOSITORY, FeedClient, ServerThread, wait_for

PASSWORD = "correct horse battery staple"
AUTH = "token expiresAt refreshToken refreshTokenExpiresAt user { id email emailVerified } errors { field code message }"
SIGN_UP = f"""mutation($email: String!) {{ signUp(email: $email, password: "{PASSWORD}", displayName: "Device") {{ {AUTH} }} }}"""
LOG_IN = f"""mutation($email: String!, $password: String!) {{ logIn(email: $email, password: $password) {{ {AUTH} }} }}"""
REFRESH = f"""mutation($t: String!) {{ refreshSession(refreshToken: $t) {{ {AUTH} }} }}"""
ME = "{ me { id emailVerified sessions { id device current } } }"


@dataclass
class Api:
    http: httpx.AsyncClient
    url: str
    database_url: str
    settings: Settings
    port: int
    data_key_text: str

    async def call(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                   agent: str = "test-device") -> httpx.Response:
        headers = {"user-agent": agent} | ({"authorization": f"Bearer {token}"} if token else {})
        return await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

    async def payload(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                      agent: str = "test-device") -> dict[str, Any]:
        body = (await self.call(query, variables, token, agent)).json()
        assert not body.get("errors"), body
        (result,) = body["data"].values()
        return dict(result)

    async def sign_up(self) -> tuple[str, dict[str, Any]]:
        email = f"{uuid.uuid4().hex[:10]}@sessions.example"
        signed = await self.payload(SIGN_UP, {"email": email})
        assert signed["errors"] == [] and signed["refreshToken"], signed
        return email, signed


@pytest.fixture
def access_ttl() -> str:
    return "900"


@pytest.fixture
async def api(fresh_database: str, access_ttl: str) -> AsyncIterator[Api]:
    key = DataKey.new_text()
    settings = Settings.from_env({"JWT_SECRET": "s" * 40, "GQL_DATA_KEY": key, "GQL_ACCOUNT_RECHECK_SECONDS": "0.2",
                                  "JWT_TTL_SECONDS": access_ttl})
    with ServerThread(create_app(settings, fresh_database)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield Api(http, server.url, fresh_database, settings, server.port, key)


def codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


async def test_a_refresh_token_is_good_once_and_a_replayed_one_ends_the_session(api: Api) -> None:
    _, signed = await api.sign_up()
    first_refresh = signed["refreshToken"]
    renewed = await api.payload(REFRESH, {"t": first_refresh})
    assert renewed["errors"] == [] and renewed["token"] != signed["token"]
    assert renewed["refreshToken"] != first_refresh
    assert (await api.call(ME, token=renewed["token"])).status_code == 200
    # The first refresh token again: a copy was taken. The whole session ends.
    replayed = await api.payload(REFRESH, {"t": first_refresh})
    assert codes(replayed) == [("refreshToken", "UNAUTHENTICATED")] and "used before" in replayed["errors"][0]["message"]
    assert replayed["token"] is None
    after = await api.payload(REFRESH, {"t": renewed["refreshToken"]})
    assert codes(after) == [("refreshToken", "UNAUTHENTICATED")], "the family is revoked"
    assert (await api.call(ME, token=renewed["token"])).status_code == 401
    unknown = await api.payload(REFRESH, {"t": "not-a-token"})
    assert codes(unknown) == [("refreshToken", "UNAUTHENTICATED")]


async def test_an_expired_session_cannot_refresh(api: Api) -> None:
    _, signed = await api.sign_up()
    conn = await asyncpg.connect(api.database_url)
    try:
        await conn.execute("update sessions set expires_at = now() - interval '1 second' where user_id = $1",
                           uuid.UUID(signed["user"]["id"]))
    finally:
        await conn.close()
    expired = await api.payload(REFRESH, {"t": signed["refreshToken"]})
    assert codes(expired) == [("refreshToken", "UNAUTHENTICATED")] and "expired" in expired["errors"][0]["message"]


async def test_signing_out_ends_this_device_only_and_everywhere_ends_all(api: Api) -> None:
    email, phone = await api.sign_up()
    laptop = await api.payload(LOG_IN, {"email": email, "password": PASSWORD}, agent="laptop")
    assert laptop["errors"] == [], laptop
    me = (await api.call(ME, token=phone["token"])).json()["data"]["me"]
    assert sorted(s["device"] for s in me["sessions"]) == ["laptop", "test-device"]
    assert [s["current"] for s in me["sessions"] if s["device"] == "test-device"] == [True]

    out = await api.payload("mutation { signOut { sessionsEnded errors { code } } }", token=phone["token"])
    assert out == {"sessionsEnded": 1, "errors": []}
    refused = await api.call(ME, token=phone["token"])
    assert refused.status_code == 401 and "session has ended" in refused.json()["errors"][0]["message"]
    assert codes(await api.payload(REFRESH, {"t": phone["refreshToken"]})) == [("refreshToken", "UNAUTHENTICATED")]
    assert (await api.call(ME, token=laptop["token"])).json()["data"]["me"]["sessions"][0]["device"] == "laptop"

    again = await api.payload(LOG_IN, {"email": email, "password": PASSWORD})
    everywhere = await api.payload("mutation { signOutEverywhere { sessionsEnded errors { code } } }",
                                   token=again["token"])
    assert everywhere == {"sessionsEnded": 2, "errors": []}
    for token in (laptop["token"], again["token"]):
        assert (await api.call(ME, token=token)).status_code == 401
    anonymous = await api.payload("mutation { signOut { sessionsEnded errors { code } } }")
    assert anonymous == {"sessionsEnded": None, "errors": [{"code": "UNAUTHENTICATED"}]}


async def test_the_open_socket_of_an_ended_session_is_closed(api: Api) -> None:
    _, signed = await api.sign_up()
    async with FeedClient(api.port, signed["token"]) as feed:
        await feed.subscribe("subscription { changes(topics: [CATEGORY]) { cursor } }")
        await api.payload("mutation { signOut { sessionsEnded } }", token=signed["token"])

        async def closed() -> bool:
            try:
                await feed.message(timeout=0.5)
            except websockets.ConnectionClosed as gone:
                assert gone.rcvd is not None and gone.rcvd.code == 4403
                return True
            except TimeoutError:
                pass
            return False

        await wait_for(closed, timeout=15)
    refused = await websockets.connect(f"ws://127.0.0.1:{api.port}/graphql", subprotocols=["graphql-transport-ws"])
    await refused.send('{"type": "connection_init", "payload": {"Authorization": "Bearer ' + signed["token"] + '"}}')
    with pytest.raises(websockets.ConnectionClosed):
        await refused.recv()


async def outbox(api: Api) -> list[Any]:
    conn = await asyncpg.connect(api.database_url)
    try:
        return await pending(conn, api.settings.data_key)
    finally:
        await conn.close()


def code_in(body: str) -> str:
    return body.split(": ", 1)[1].split()[0]


async def test_a_password_reset_goes_through_the_outbox_once_and_ends_every_session(api: Api) -> None:
    email, signed = await api.sign_up()
    before = len(await outbox(api))
    for address in (email, "nobody-here@sessions.example"):
        asked = await api.payload(f'mutation {{ requestPasswordReset(email: "{address}") {{ accepted errors {{ code }} }} }}')
        assert asked == {"accepted": True, "errors": []}, "the answer does not tell which addresses exist"
    messages = await outbox(api)
    assert len(messages) == before + 1
    message = messages[-1]
    assert message.recipient == email and message.kind == "password_reset"
    token = code_in(message.body)
    reset = 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { accepted errors { field code message } } }'
    short = await api.payload(reset, {"t": token, "p": "short"})
    assert codes(short) == [("newPassword", "VALIDATION")]
    done = await api.payload(reset, {"t": token, "p": "a brand new passphrase"})
    assert done["accepted"] is True and done["errors"] == []
    twice = await api.payload(reset, {"t": token, "p": "another passphrase"})
    assert codes(twice) == [("token", "VALIDATION")] and "used already" in twice["errors"][0]["message"]
    assert (await api.call(ME, token=signed["token"])).status_code == 401, "the reset ended every session"
    old = await api.payload(LOG_IN, {"email": email, "password": PASSWORD})
    assert codes(old) == [(None, "UNAUTHENTICATED")]
    new = await api.payload(LOG_IN, {"email": email, "password": "a brand new passphrase"})
    assert new["errors"] == []


async def test_an_email_address_is_verified_with_the_code_sent_to_it(api: Api) -> None:
    email, signed = await api.sign_up()
    assert signed["user"]["emailVerified"] is False
    asked = await api.payload("mutation { requestEmailVerification { accepted errors { code } } }", token=signed["token"])
    assert asked == {"accepted": True, "errors": []}
    (message,) = [m for m in await outbox(api) if m.recipient == email]
    verify = 'mutation($t: String!) { verifyEmail(token: $t) { accepted errors { field code } } }'
    assert codes(await api.payload(verify, {"t": "wrong"})) == [("token", "VALIDATION")]
    assert (await api.payload(verify, {"t": code_in(message.body)}))["accepted"] is True
    me = (await api.call(ME, token=signed["token"])).json()["data"]["me"]
    assert me["emailVerified"] is True
    anonymous = await api.payload("mutation { requestEmailVerification { accepted errors { code } } }")
    assert anonymous == {"accepted": None, "errors": [{"code": "UNAUTHENTICATED"}]}


async def test_the_outbox_command_prints_pending_messages_and_marks_them_sent(api: Api) -> None:
    email, signed = await api.sign_up()
    await api.payload("mutation { requestEmailVerification { accepted } }", token=signed["token"])
    env = {**os.environ, "DATABASE_URL": api.database_url, "GQL_DATA_KEY": api.data_key_text}
    printed = subprocess.run([sys.executable, "-m", "gql", "outbox", "--mark-sent"], cwd=REPOSITORY, env=env,
                             capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert f"To: {email}" in printed.stdout and "Confirm your email address" in printed.stdout
    again = subprocess.run([sys.executable, "-m", "gql", "outbox"], cwd=REPOSITORY, env=env,
                           capture_output=True, text=True, timeout=120)
    assert "no messages waiting" in again.stdout


@pytest.mark.parametrize("access_ttl", ["1"])
async def test_a_signed_in_devices_socket_outlives_its_access_token(api: Api) -> None:
    """The socket is tied to the session, not to the 15-minute token: no drop and reconnect
    every time the token expires."""
    _, signed = await api.sign_up()
    async with FeedClient(api.port, signed["token"]) as feed:
        await feed.subscribe("subscription { changes(topics: [CATEGORY]) { op } }")
        expired = datetime.fromisoformat(signed["expiresAt"].replace("Z", "+00:00"))

        async def token_expired() -> bool:
            return datetime.now(UTC) > expired + timedelta(seconds=1)

        await wait_for(token_expired, timeout=10)
        assert (await api.call(ME, token=signed["token"])).status_code == 401, "the token itself has expired"
        conn = await asyncpg.connect(api.database_url)
        try:
            await conn.execute("insert into categories (slug, name) values ($1, 'After expiry')", uuid.uuid4().hex[:12])
        finally:
            await conn.close()
        assert (await feed.events(1))[0]["op"] == "INSERT"


async def test_a_password_reset_revokes_the_accounts_api_keys_and_pauses_its_webhooks(api: Api) -> None:
    email, signed = await api.sign_up()
    made = await api.payload('mutation { createApiKey(name: "left behind", scopes: [READ, WEBHOOKS]) '
                             '{ created { secret key { id } } errors { code } } }', token=signed["token"])
    key = made["created"]["secret"]
    assert (await api.call(ME, token=key)).status_code == 200
    conn = await asyncpg.connect(api.database_url)
    try:  # a webhook registered with the key and one with the session (the endpoint is not called here)
        await conn.execute(
            "insert into webhook_subscriptions (user_id, api_key_id, url, topics, secret_sealed, cursor)"
            " select $1, k, 'https://hooks.example/x', '{business}', '\\x00', 0 from unnest(array[$2, null]::uuid[]) k",
            signed["user"]["id"], made["created"]["key"]["id"])
    finally:
        await conn.close()
    await api.payload(f'mutation {{ requestPasswordReset(email: "{email}") {{ accepted }} }}')
    token = code_in([m for m in await outbox(api) if m.recipient == email][-1].body)
    done = await api.payload('mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) '
                             '{ accepted errors { code } } }', {"t": token, "p": "a brand new passphrase"})
    assert done == {"accepted": True, "errors": []}
    assert (await api.call(ME, token=key)).status_code == 401, "the key made before the reset is revoked"
    back = await api.payload(LOG_IN, {"email": email, "password": "a brand new passphrase"})
    hooks = await api.payload("{ me { webhooks { status pausedReason } apiKeys { revokedAt } } }", token=back["token"])
    assert [h["status"] for h in hooks["webhooks"]] == ["PAUSED", "PAUSED"]
    assert all("password was reset" in h["pausedReason"] for h in hooks["webhooks"])
    assert [k["revokedAt"] is not None for k in hooks["apiKeys"]] == [True]
