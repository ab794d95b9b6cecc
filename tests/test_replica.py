"""Reads on a real streaming replica of the test cluster (pg_basebackup -R, hot standby):
compiled reads go there; a client that wrote reads its write at once; a stopped replica
costs no request."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from gql.app import create_app
from gql.postgres.replica import create_embedded_replica, stop_embedded_replica
from gql.settings import Settings
from tests.support import ServerThread, seeded_scratch_database, wait_for
from tests.world import PASSWORD, SIGN_UP

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="the replica is made with the embedded cluster's own programs")

ME = "{ me { displayName } }"


@pytest.fixture
def replica_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="gql-replica-"))
    os.chmod(directory, 0o755)  # as root, the server runs as another user and must get in
    try:
        yield directory
    finally:
        stop_embedded_replica(directory)
        shutil.rmtree(directory, ignore_errors=True)


async def test_reads_go_to_the_replica_and_a_writer_reads_its_write(
        server_url: str, migrated_template: str, replica_dir: Path) -> None:
    url = await seeded_scratch_database(server_url, migrated_template, businesses=20, reviews=40, seed=9)
    replica_url = create_embedded_replica(url, replica_dir)
    settings = dataclasses.replace(Settings.from_env({"GQL_DEBUG_SQL": "1"}), database_replica_url=replica_url)
    app = create_app(settings, url)
    with ServerThread(app) as server:
        router = app.state.graphql.replica

        async def in_rotation() -> bool:
            return bool(router.usable)
        await wait_for(in_rotation, timeout=30)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            read = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
            assert read["extensions"]["executor"] == "compiled on the replica" and read["data"]["categories"]

            # The replica stops replaying: what is written now is not there yet.
            standby = await asyncpg.connect(replica_url)
            try:
                assert await standby.fetchval("select pg_is_in_recovery()") is True
                await standby.execute("select pg_wal_replay_pause()")
                signed = await http.post("/graphql", json={"query": SIGN_UP, "variables": {
                    "email": f"replica-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD, "name": "Ada"}})
                token = signed.json()["data"]["signUp"]["token"]
                written_at = signed.headers["x-read-after"]
                auth = {"authorization": f"Bearer {token}"}
                stale = (await http.post("/graphql", json={"query": ME}, headers=auth)).json()
                assert stale["extensions"]["executor"] == "compiled on the replica"
                assert stale["data"]["me"] is None  # the replica has not seen the account
                mine = (await http.post("/graphql", json={"query": ME},
                                        headers={**auth, "x-read-after": written_at})).json()
                assert mine["data"]["me"] == {"displayName": "Ada"}
                assert mine["extensions"]["executor"] == "compiled"  # the primary answered
                await standby.execute("select pg_wal_replay_resume()")
            finally:
                await standby.close()

            bad = await http.post("/graphql", json={"query": ME}, headers={"x-read-after": "yesterday"})
            assert bad.status_code == 400 and "X-Read-After" in bad.json()["errors"][0]["message"]

            metrics = (await http.get("/metrics")).text
            assert "gql_replica_lag_seconds " in metrics and "gql_replica_reads_total " in metrics
            assert "gql_replica_in_rotation 1.0" in metrics
            health = (await http.get("/health")).json()
            assert health["replica"]["inRotation"] is True and health["replica"]["lagSeconds"] < 30

            stop_embedded_replica(replica_dir)  # the replica goes away: reads carry on
            for _ in range(5):
                body = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
                assert "errors" not in body and body["data"]["categories"]
                assert body["extensions"]["executor"] == "compiled"
