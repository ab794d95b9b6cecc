"""A deploy rebuilds the SQL code layer (db/functions) while servers answer requests: no
request may fail for it, interpreted or compiled, read or write."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql.app import create_app
from gql.commands.migrate import Migrator, code_files
from gql.database import connect
from gql.settings import Settings
from tests.support import ServerThread, seeded_scratch_database

READS = [
    """{ businesses(first: 10) { edges { node { name rating primaryCategory { name }
         reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }""",
    """{ searchBusinesses(query: "pizza", first: 5) { totalCount edges { node { name } } } }""",
    """{ categories { slug children { slug } } autocomplete(prefix: "pi", limit: 5) { label } }""",
]
VIEW = """mutation($id: ID!, $v: String!) { recordBusinessView(businessId: $id, visitorId: $v) { counted errors { code } } }"""


@pytest.fixture(scope="module")
async def database(server_url: str, migrated_template: str) -> str:
    return await seeded_scratch_database(server_url, migrated_template, businesses=60, reviews=300, seed=3)


async def test_rebuilding_the_code_layer_under_load_fails_no_request(database: str, tmp_path: Path) -> None:
    base = Settings.from_env({})
    conn = await connect(database)
    try:
        business = str(await conn.fetchval("select id from businesses where status = 'active' limit 1"))
    finally:
        await conn.close()
    with ServerThread(create_app(base, database)) as compiled, \
            ServerThread(create_app(dataclasses.replace(base, compiled_reads=False), database)) as interpreted:
        deployed, progress = asyncio.Event(), asyncio.Event()
        failures: list[str] = []
        answered = 0

        async def answered_more(count: int) -> None:
            """Until the clients have answered `count` more requests (load on the layer)."""
            target = answered + count
            while answered < target:
                progress.clear()
                await progress.wait()

        async def client(n: int, url: str) -> None:
            nonlocal answered
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                i = 0
                while not deployed.is_set():
                    i += 1
                    body: dict[str, Any] = {"query": READS[i % len(READS)]} if i % 4 else \
                        {"query": VIEW, "variables": {"id": business, "v": f"deploy-{n}-{i}"}}
                    response = await http.post("/graphql", json=body)
                    answer = response.json()
                    errors = answer.get("errors") or (answer.get("data") or {}).get("recordBusinessView", {}).get("errors")
                    if response.status_code != 200 or errors:
                        failures.append(f"{response.status_code} {str(errors)[:200]}")
                    answered += 1
                    progress.set()

        clients = [asyncio.create_task(client(n, server.url)) for n in range(4)
                   for server in (compiled, interpreted)]
        marker = tmp_path / "99_deploy_marker.sql"
        for deploy in range(4):  # each one a new code layer: the files' checksum changed
            await answered_more(30)  # requests in flight on the layer about to go
            marker.write_text(f"select {deploy};  -- a new code layer\n")
            conn = await connect(database)
            try:
                await Migrator(conn, functions=[*code_files(), marker]).up()
            finally:
                await conn.close()
        await answered_more(30)
        deployed.set()
        await asyncio.gather(*clients)
    assert answered > 100
    assert failures == [], f"{len(failures)} of {answered} requests failed: {failures[:5]}"
