"""The clients people use, run with Node against a live server (tests/clients): Apollo Client's
HttpLink (multipart subscriptions) and BatchHttpLink, urql's fetchSubscriptions, and the
graphql-sse client. Each is the library as published, not a re-implementation of its protocol."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import ServerThread
from tests.test_policies import new_business
from tests.test_realtime import hub_settled, rename
from tests.world import World

CLIENTS_DIR = Path(__file__).with_name("clients")


def node() -> str:
    npm, found = shutil.which("npm"), shutil.which("node")
    if npm is None or found is None:
        pytest.skip("Node.js is not installed (.ci/run installs it)")
    if not (CLIENTS_DIR / "node_modules" / "@apollo" / "client").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENTS_DIR, check=True, capture_output=True)
    return found


async def line_of(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line, f"the client exited: {(await process.communicate())[1].decode()[-2000:]}"
    answer: dict[str, Any] = json.loads(line)
    assert "error" not in answer, answer
    return answer


async def test_apollo_urql_and_graphql_sse_receive_a_change_over_http(world: World) -> None:
    business_id = await new_business(world)
    url = f"http://127.0.0.1:{world.port}/graphql"
    processes = [await asyncio.create_subprocess_exec(node(), "clients.mjs", "subscribe", kind, url, business_id,
                                                      cwd=CLIENTS_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for kind in ("apollo", "urql", "sse")]
    try:
        for process in processes:
            assert await line_of(process) == {"ready": True}
        await hub_settled(world, 3)  # each client's stream is open and following
        await rename(world, business_id, "Seen by every client")
        for process in processes:
            event = (await line_of(process))["event"]
            assert event["op"] == "UPDATE" and event["node"]["name"] == "Seen by every client", event
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await process.wait()


def test_apollo_batch_http_link_sends_one_request_for_two_queries(api_server: ServerThread) -> None:
    done = subprocess.run([node(), "clients.mjs", "batch", f"{api_server.url}/graphql"], cwd=CLIENTS_DIR,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {"requests": 1, "roots": 5, "one": {"__typename": "Category", "slug": "restaurants"}}


async def test_apollo_persisted_query_link_in_allowlist_mode(seeded_url: str, tmp_path: Path) -> None:
    """The manifest as Apollo's own tool generates it from the client's operations, registered
    as is; Apollo Client then sends only the ids it computes, and the allow-list serves them."""
    import os
    import sys

    from gql.app import create_app
    from gql.settings import Settings
    from tests.support import REPOSITORY

    manifest = tmp_path / "persisted-query-manifest.json"
    (tmp_path / "config.json").write_text(json.dumps({
        "documents": [str(CLIENTS_DIR / "operations" / "*.graphql")], "output": str(manifest)}))
    subprocess.run([node(), "node_modules/.bin/generate-persisted-query-manifest", "--config",
                    str(tmp_path / "config.json")], cwd=CLIENTS_DIR, check=True, capture_output=True, timeout=120)
    registered = subprocess.run([sys.executable, "-m", "gql", "documents", "register", str(manifest)], cwd=REPOSITORY,
                                env={**os.environ, "DATABASE_URL": seeded_url}, capture_output=True, text=True, timeout=120)
    assert registered.returncode == 0, registered.stderr
    with ServerThread(create_app(Settings.from_env({"GQL_PERSISTED_DOCUMENTS": "allowlist"}), seeded_url)) as server:
        done = subprocess.run([node(), "clients.mjs", "persisted", f"{server.url}/graphql", str(manifest)],
                              cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {"roots": 5, "sentDocument": False}


def test_graphql_ws_runs_a_document_by_its_hash_alone(api_server: ServerThread) -> None:
    import httpx

    from gql.edge.persisted_documents import sha256_of

    document = "query ByHashFromGraphqlWs { categories { slug } }"
    httpx.post(f"{api_server.url}/graphql", json={  # (learnt once, as automatic persisted queries go)
        "query": document, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(document)}}})
    done = subprocess.run([node(), "clients.mjs", "ws-hash", f"ws://127.0.0.1:{api_server.port}/graphql",
                           sha256_of(document)], cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(json.loads(done.stdout)["data"]["categories"]) == 5


def test_urql_persisted_exchange_sends_the_hash_alone_once_known(api_server: ServerThread) -> None:
    """urql's automatic persisted queries: the hash (by GET) misses once, the document follows,
    and from then on the hash alone is sent and answered."""
    done = subprocess.run([node(), "clients.mjs", "urql-persisted", f"{api_server.url}/graphql"], cwd=CLIENTS_DIR,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["answers"] == [5, 5]
    assert result["sent"][0]["hasQuery"] is False and result["sent"][-1] == {"method": "GET", "hasQuery": False}, result
    assert sum(1 for request in result["sent"] if request["hasQuery"]) == 1, result
