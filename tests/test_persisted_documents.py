"""Persisted documents: automatic persisted queries (hash first, document once), and the
allow-list mode in which only registered documents run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from gql.edge.persisted_documents import sha256_of
from tests.support import REPOSITORY, FeedClient, ServerThread
from tests.world import PASSWORD, SIGN_UP

HOOK = """mutation Hook($selection: String) {
  createWebhook(url: "http://127.0.0.1:9/hooks", topics: [BUSINESS], selection: $selection) {
    created { webhook { id } } errors { field code } } }"""

CATEGORIES = "{ categories { slug } }"


def persisted(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(document)}}


async def test_automatic_persisted_queries_round_trip(api_server: ServerThread) -> None:
    document = "query Roots { categories { slug name } }"
    async with httpx.AsyncClient(base_url=api_server.url) as http:
        miss = (await http.post("/graphql", json={"extensions": persisted(document)})).json()
        assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        sent = (await http.post("/graphql", json={"query": document, "extensions": persisted(document)})).json()
        assert sent["data"]["categories"]
        by_hash = (await http.post("/graphql", json={"extensions": persisted(document)})).json()
        assert by_hash == sent
        over_get = await http.get("/graphql", params={"extensions": json.dumps(persisted(document))},
                                  headers={"accept": "application/json"})
        assert over_get.status_code == 200 and over_get.json() == sent
        wrong = (await http.post("/graphql", json={"query": CATEGORIES, "extensions": persisted(document)})).json()
        assert wrong["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        bad = (await http.post("/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "x"}}})).json()
        assert bad["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"


async def test_in_allowlist_mode_only_registered_documents_run(seeded_url: str, tmp_path: Path) -> None:
    from gql.app import create_app
    from gql.settings import Settings

    registered = "query Registered { categories { slug } }"
    (tmp_path / "roots.graphql").write_text(registered)
    other = "subscription { changes { cursor } }"
    (tmp_path / "manifest.json").write_text(json.dumps({sha256_of(other): other}))
    (tmp_path / "sign_up.graphql").write_text(SIGN_UP)
    (tmp_path / "hook.graphql").write_text(HOOK)
    done = subprocess.run([sys.executable, "-m", "gql", "documents", "register", str(tmp_path / "roots.graphql"),
                           str(tmp_path / "manifest.json"), str(tmp_path / "sign_up.graphql"),
                           str(tmp_path / "hook.graphql")], cwd=REPOSITORY, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": seeded_url}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "registered 4 new" in done.stdout
    settings = Settings.from_env({"GQL_PERSISTED_DOCUMENTS": "allowlist", "GQL_WEBHOOK_ALLOW_PRIVATE": "1"})
    with ServerThread(create_app(settings, seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            by_hash = (await http.post("/graphql", json={"extensions": persisted(registered)})).json()
            assert by_hash["data"]["categories"]
            in_full = (await http.post("/graphql", json={"query": registered})).json()
            assert in_full == by_hash
            for refused in ({"query": CATEGORIES}, {"extensions": persisted(CATEGORIES)},
                            {"query": CATEGORIES, "extensions": persisted(CATEGORIES)}):
                answer = (await http.post("/graphql", json=refused)).json()
                assert answer["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED", answer
                assert "data" not in answer or answer["data"] is None
            # A webhook's selection would be a document of its own, never registered: refused.
            signed = (await http.post("/graphql", json={"query": SIGN_UP, "variables": {
                "email": "allowlisted@example.com", "password": PASSWORD, "name": "Allowlisted"}})).json()
            token = signed["data"]["signUp"]["token"]
            for selection, errors in (("{ id name }", [("selection", "VALIDATION")]), (None, [])):
                made = (await http.post("/graphql", headers={"authorization": f"Bearer {token}"}, json={
                    "query": HOOK, "variables": {"selection": selection}})).json()["data"]["createWebhook"]
                assert [(e["field"], e["code"]) for e in made["errors"]] == errors, made
        async with FeedClient(server.port) as client:
            op = await client.subscribe("subscription { changes { entityId } }")
            message = await client.message()
            assert message["id"] == op and message["type"] == "error"
            assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


@pytest.mark.parametrize("role", ["gql_anonymous", "gql_user", "gql_admin"])
async def test_request_roles_can_neither_register_nor_read_documents(seeded_url: str, role: str) -> None:
    conn = await asyncpg.connect(seeded_url)
    try:
        for call in ("select api_private.register_document($1, 'x', null)", "select api_private.registered_document($1)"):
            async with conn.transaction():
                await conn.execute(f"set local role {role}")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetchval(call, sha256_of("x"))
    finally:
        await conn.close()


async def subscribe_raw(client: FeedClient, payload: dict[str, Any]) -> dict[str, Any]:
    """One operation sent with this payload as is; its first message."""
    client._ids += 1
    await client.ws.send(json.dumps({"id": str(client._ids), "type": "subscribe", "payload": payload}))
    message = await client.message()
    while message["id"] != str(client._ids):  # (an earlier operation's `complete`)
        message = await client.message()
    return message


async def test_a_hash_alone_runs_over_websocket(api_server: ServerThread) -> None:
    """Automatic persisted queries over graphql-transport-ws: with no `query`, or an empty or
    null one, the hash names the document (learnt earlier over HTTP)."""
    document = "query ByHashOverSocket { categories { slug } }"
    async with httpx.AsyncClient(base_url=api_server.url) as http:
        await http.post("/graphql", json={"query": document, "extensions": persisted(document)})
    async with FeedClient(api_server.port) as client:
        for shape in ({}, {"query": ""}, {"query": None}):
            answer = await subscribe_raw(client, {**shape, "extensions": persisted(document)})
            assert answer["type"] == "next" and len(answer["payload"]["data"]["categories"]) == 5, (shape, answer)
        unknown = await subscribe_raw(client, {"extensions": persisted("{ unknownToThisServer }")})
        assert unknown["type"] == "error"
        assert unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert (await subscribe_raw(client, {"query": CATEGORIES}))["type"] == "next"  # the socket is still open


async def test_allowlist_takes_the_manifests_clients_write(seeded_url: str, tmp_path: Path) -> None:
    """Apollo's manifest (its documents printed with __typename), Relay's id -> document with MD5
    ids, and a .graphql file whose final newline is not part of the document."""
    import hashlib

    from gql.app import create_app
    from gql.settings import Settings

    apollo_body = "query Apollo {\n  categories {\n    slug\n    __typename\n  }\n}"
    (tmp_path / "persisted-query-manifest.json").write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": sha256_of(apollo_body), "name": "Apollo", "type": "query", "body": apollo_body}]}))
    relay_text = "query RelayRoots { categories { name } }"
    relay_id = hashlib.md5(relay_text.encode()).hexdigest()
    (tmp_path / "persisted_queries.json").write_text(json.dumps({relay_id: relay_text}))
    file_text = "query FromFile { categories { slug name } }\n"
    (tmp_path / "from_file.graphql").write_text(file_text)
    done = subprocess.run([sys.executable, "-m", "gql", "documents", "register",
                           *(str(tmp_path / f) for f in ("persisted-query-manifest.json", "persisted_queries.json",
                                                         "from_file.graphql"))],
                          cwd=REPOSITORY, capture_output=True, text=True, env={**os.environ, "DATABASE_URL": seeded_url},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    settings = Settings.from_env({"GQL_PERSISTED_DOCUMENTS": "allowlist"})
    with ServerThread(create_app(settings, seeded_url)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            async def data(body: dict[str, Any]) -> Any:
                answer = (await http.post("/graphql", json=body)).json()
                assert "errors" not in answer, (body, answer)
                return answer["data"]

            assert (await data({"extensions": persisted(apollo_body)}))["categories"][0]["__typename"] == "Category"
            relay = await data({"doc_id": relay_id, "variables": {}})
            assert relay == await data({"documentId": relay_id})
            assert len(relay["categories"]) == 5 and "name" in relay["categories"][0]
            stripped = file_text.rstrip()
            for body in ({"extensions": persisted(stripped)}, {"extensions": {"persistedQuery": {
                    "version": 1, "sha256Hash": sha256_of(file_text)}}}, {"documentId": f"sha256:{sha256_of(stripped)}"},
                    {"query": file_text}, {"query": stripped}):
                assert len((await data(body))["categories"]) == 5
            over_get = await http.get("/graphql", params={"documentId": relay_id}, headers={"accept": "application/json"})
            assert over_get.json()["data"] == relay
            refused = (await http.post("/graphql", json={"documentId": "not-registered"})).json()
            assert refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
            batch = (await http.post("/graphql", json=[{"documentId": relay_id}, {"doc_id": relay_id},
                                                      {"extensions": persisted(stripped)}])).json()
            assert [answer["data"] == relay for answer in batch] == [True, True, False] and "errors" not in batch[2]
            page = await http.get("/graphql", params={"documentId": relay_id}, headers={"accept": "text/html"})
            assert page.json()["data"] == relay  # a read, not GraphiQL
        async with FeedClient(server.port) as client:
            answer = await subscribe_raw(client, {"documentId": relay_id})
            assert answer["type"] == "next" and answer["payload"]["data"] == relay
            refused_ws = await subscribe_raw(client, {"extensions": persisted("{ categories { id } }")})
            assert refused_ws["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


def test_a_manifest_reusing_an_id_for_another_document_registers_nothing(seeded_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"same-id": "query A { categories { slug } }"}))
    (tmp_path / "b.json").write_text(json.dumps({"same-id": "query B { categories { name } }"}))
    env = {**os.environ, "DATABASE_URL": seeded_url}
    first = subprocess.run([sys.executable, "-m", "gql", "documents", "register", str(tmp_path / "a.json")],
                           cwd=REPOSITORY, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([sys.executable, "-m", "gql", "documents", "register", str(tmp_path / "b.json")],
                            cwd=REPOSITORY, capture_output=True, text=True, env=env, timeout=120)
    assert second.returncode != 0 and "names another document" in second.stderr and "Traceback" not in second.stderr
