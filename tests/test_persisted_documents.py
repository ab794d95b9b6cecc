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

from gql.persisted_documents import sha256_of
from tests.support import REPOSITORY, FeedClient, ServerThread

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
    done = subprocess.run([sys.executable, "-m", "gql", "documents", "register", str(tmp_path / "roots.graphql"),
                           str(tmp_path / "manifest.json")], cwd=REPOSITORY, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": seeded_url}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "registered 2 new" in done.stdout
    settings = Settings.from_env({"GQL_PERSISTED_DOCUMENTS": "allowlist"})
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
