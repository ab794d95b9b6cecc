"""The command line, run as a user would: `python -m gql ...` in a subprocess."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from gql.commands.migrate import discover
from gql.identity.data_key import DataKey
from tests.support import drop, scratch_database, serve_in_subprocess

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gql", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def env_without_database(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | extra


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_help_lists_the_contract_commands() -> None:
    out = run_cli("--help").stdout
    for command in ("serve", "migrate", "seed", "export-schema", "db", "backup", "restore"):
        assert command in out


async def test_migrate_status_and_db_url_on_a_given_database(server_url: str) -> None:
    name, url = await scratch_database(server_url)
    try:
        env = {**os.environ, "DATABASE_URL": url}
        assert run_cli("db", "url", env=env).stdout.strip() == url
        pending = run_cli("migrate", "status", env=env).stdout
        assert "0001  core_schema" in pending and "pending" in pending
        up = run_cli("migrate", "up", env=env)
        assert up.returncode == 0 and f"applied {len(discover())} migration(s)" in up.stdout
        assert "pending" not in run_cli("migrate", "status", env=env).stdout
        seeded = run_cli("seed", "--businesses", "50", "--reviews", "100", env=env)
        assert seeded.returncode == 0 and "50 businesses" in seeded.stdout
        again = run_cli("seed", env=env)
        assert again.returncode == 1 and "--reset" in again.stderr
    finally:
        await drop(server_url, name)


async def serve_until_healthy(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return await serve_in_subprocess(port, env_without_database(GQL_DATA_DIR=str(data_dir), LOG_LEVEL="WARNING"))


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


async def test_serve_runs_the_embedded_database_with_demo_data_and_reuses_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    process = await serve_until_healthy(data_dir, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            body = (await http.post("/graphql", json={
                "query": "query Demo { businesses(first: 1) { totalCount } categories { slug } }"})).json()
            metrics = (await http.get("/metrics")).text  # (one worker: the serving process's own)
        assert body["data"]["businesses"]["totalCount"] > 800  # of the 1,000 demo businesses
        assert len(body["data"]["categories"]) == 5
        assert 'gql_request_duration_seconds_count{operation="Demo",type="query"} 1.0' in metrics
        assert "gql_db_pool_size " in metrics and "gql_worker_processes 1.0" in metrics
        # Leave a mark through the database itself, to see it again after a restart.
        conn = await asyncpg.connect(f"postgresql://postgres@/directory?host={data_dir / 'pg'}")
        await conn.execute("insert into categories (slug, name) values ('marker', 'Marker')")
        await conn.close()
    finally:
        stop(process)
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "the cluster was not stopped"

    process = await serve_until_healthy(data_dir, port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        body = (await http.post("/graphql", json={
            "query": '{ category(slug: "marker") { name } businesses { totalCount } }'})).json()
    assert body["data"]["category"] == {"name": "Marker"}
    assert body["data"]["businesses"]["totalCount"] < 1000  # not seeded a second time
    # Killed outright, the server cannot stop the cluster; the next one that stops does.
    process.kill()
    process.wait(timeout=30)
    assert (data_dir / "pg" / "postmaster.pid").exists()
    stop(await serve_until_healthy(data_dir, port))
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "a killed server's handle kept the cluster running"


async def test_operator_commands_beside_a_running_server_leave_its_database_up(tmp_path: Path) -> None:
    """The runbook's commands attach to the cluster `serve` started on the same data directory;
    each lets go of it when it ends, and must not stop it under the server."""
    data_dir, port = tmp_path / "data", free_port()
    process = await serve_in_subprocess(port, env_without_database(
        GQL_DATA_DIR=str(data_dir), LOG_LEVEL="WARNING"), args=("--no-seed",))
    env = env_without_database(GQL_DATA_DIR=str(data_dir))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for command in (("outbox",), ("migrate", "status"), ("backup", str(tmp_path / "dump"))):
                ran = run_cli(*command, env=env)
                assert ran.returncode == 0, ran.stderr
                assert (data_dir / "pg" / "postmaster.pid").exists(), f"{command} stopped the cluster"
                health = await http.get("/health")
                assert health.status_code == 200, (command, health.text)
                body = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
                assert body == {"data": {"categories": []}}, command
    finally:
        stop(process)
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "the server, the last to hold it, did not stop it"


async def test_two_servers_on_one_empty_database_both_come_up(server_url: str, tmp_path: Path) -> None:
    """Starting together, they migrate and seed it once, one after the other. (Servers of one
    database share its secrets, as a deployment sets them.)"""
    name, url = await scratch_database(server_url)
    ports = [free_port(), free_port()]
    shared = {"DATABASE_URL": url, "GQL_DATA_KEY": DataKey.new_text(), "JWT_SECRET": "x" * 40, "LOG_LEVEL": "WARNING"}
    try:
        processes = await asyncio.gather(*(serve_in_subprocess(port, {
            **os.environ, **shared, "GQL_DATA_DIR": str(tmp_path / str(port))}) for port in ports))
        try:
            async with httpx.AsyncClient() as http:
                for port in ports:
                    body = (await http.post(f"http://127.0.0.1:{port}/graphql", json={
                        "query": "{ categories { slug } }"})).json()
                    assert len(body["data"]["categories"]) == 5
            conn = await asyncpg.connect(url)
            try:
                assert await conn.fetchval("select count(*) from businesses") == 1000
            finally:
                await conn.close()
        finally:
            for process in processes:
                stop(process)
    finally:
        await drop(server_url, name)


async def test_backup_then_restore_into_an_empty_database(server_url: str, tmp_path: Path) -> None:
    source, source_url = await scratch_database(server_url)
    target, target_url = await scratch_database(server_url)
    dump = tmp_path / "directory.dump"
    try:
        env = {**os.environ, "DATABASE_URL": source_url}
        assert run_cli("seed", "--businesses", "30", "--reviews", "60", env=env).returncode == 0
        assert run_cli("backup", str(dump), env=env).returncode == 0
        restored = run_cli("restore", str(dump), env={**os.environ, "DATABASE_URL": target_url})
        assert restored.returncode == 0, restored.stderr
        again = run_cli("restore", str(dump), env={**os.environ, "DATABASE_URL": target_url})
        assert again.returncode == 1 and "--replace" in again.stderr
        replaced = run_cli("restore", "--replace", str(dump), env={**os.environ, "DATABASE_URL": target_url})
        assert replaced.returncode == 0, replaced.stderr
        counts = []
        for url in (source_url, target_url):
            conn = await asyncpg.connect(url)
            counts.append(await conn.fetchrow(
                "select (select count(*) from businesses) b, (select count(*) from business_reviews) r,"
                " (select count(*) from api.search_businesses('pizza', null, null, null, null, false, null,"
                " null, null, null, null, null, 'BEST_MATCH', null, 100)) s"))
            await conn.close()
        assert tuple(counts[0]) == tuple(counts[1]) and counts[0]["b"] == 30
    finally:
        await drop(server_url, source)
        await drop(server_url, target)


async def test_a_backup_restores_onto_a_new_server_in_one_command(server_url: str, tmp_path: Path) -> None:
    """A new embedded server has none of the server-wide request roles a dump refers to."""
    source, source_url = await scratch_database(server_url)
    dump = tmp_path / "directory.dump"
    key = DataKey.new_text()  # the deployment's key, which sealed the backup's personal data
    try:
        env = {**os.environ, "DATABASE_URL": source_url, "GQL_DATA_KEY": key}
        assert run_cli("seed", "--businesses", "20", "--reviews", "40", env=env).returncode == 0
        assert run_cli("backup", str(dump), env=env).returncode == 0
    finally:
        await drop(server_url, source)
    new_server = env_without_database(GQL_DATA_DIR=str(tmp_path / "new-server"), GQL_DATA_KEY=key,
                                      LOG_LEVEL="WARNING")
    restored = run_cli("restore", str(dump), env=new_server)
    assert restored.returncode == 0, restored.stderr
    port = free_port()
    process = await serve_in_subprocess(port, new_server)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            body = (await http.post("/graphql", json={"query": "{ businesses(first: 1) { totalCount } }"})).json()
        assert body["data"]["businesses"]["totalCount"] > 0  # read as the anonymous role, under RLS
    finally:
        stop(process)


async def test_a_server_whose_redis_is_gone_still_shuts_down(tmp_path: Path) -> None:
    """Its broadcast backend's disconnect waited for the dead Redis for ever (seen: SIGTERM not
    done after 2 minutes)."""
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("no redis-server program on this machine")
    redis_port, port = free_port(), free_port()
    redis = subprocess.Popen([redis_server, "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process = await serve_in_subprocess(port, env_without_database(
            GQL_DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING", BROADCAST_URL=f"redis://127.0.0.1:{redis_port}"))
    finally:
        redis.kill()
        redis.wait(timeout=30)
    started = time.monotonic()
    stop(process)  # SIGTERM, then at most 60 s for the exit
    assert time.monotonic() - started < 30


async def test_db_replica_starts_a_streaming_replica_of_the_embedded_cluster(tmp_path: Path) -> None:
    env = env_without_database(GQL_DATA_DIR=str(tmp_path / "data"))
    assert run_cli("migrate", env=env).returncode == 0
    made = run_cli("db", "replica", env=env)
    assert made.returncode == 0, made.stderr
    replica_url = made.stdout.strip().splitlines()[-1]
    try:
        conn = await asyncpg.connect(replica_url)
        try:
            assert await conn.fetchval("select pg_is_in_recovery()") is True
            assert await conn.fetchval("select count(*) from categories") >= 0  # the primary's schema
        finally:
            await conn.close()
    finally:
        assert run_cli("db", "stop-replica", env=env).returncode == 0
        assert run_cli("db", "stop", env=env).returncode == 0
