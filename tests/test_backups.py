"""Continuous archiving and point-in-time recovery of the embedded cluster, through the
commands an operator runs: a base backup, writes, a restore to a moment between them."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.support import wait_for
from tests.test_cli import env_without_database, run_cli


def cluster_url(data_dir: Path) -> str:
    return f"postgresql://postgres@/directory?host={data_dir / 'pg'}"


async def restored_category_slugs(env: dict[str, str], moment: str, into: Path) -> set[str]:
    """`backup restore-to` the moment into a new data directory; the categories it holds."""
    restored = run_cli("backup", "restore-to", "--time", moment, "--into", str(into), env=env)
    assert restored.returncode == 0, restored.stderr
    restored_env = env_without_database(GQL_DATA_DIR=str(into))
    assert run_cli("db", "start", env=restored_env).returncode == 0
    try:
        conn = await asyncpg.connect(cluster_url(into))
        try:
            return {r["slug"] for r in await conn.fetch("select slug from categories")}
        finally:
            await conn.close()
    finally:
        assert run_cli("db", "stop", env=restored_env).returncode == 0


async def test_a_restore_to_a_moment_has_what_was_written_before_it_and_nothing_after(tmp_path: Path) -> None:
    data_dir, restored_dir = tmp_path / "data", tmp_path / "restored"
    env = env_without_database(GQL_DATA_DIR=str(data_dir))
    assert run_cli("migrate", env=env).returncode == 0
    base = run_cli("backup", "base", env=env)
    assert base.returncode == 0 and "verified" in base.stderr, base.stderr
    assert run_cli("db", "start", env=env).returncode == 0
    try:
        conn = await asyncpg.connect(cluster_url(data_dir))
        try:
            await conn.execute("insert into categories (slug, name) values ('before-the-moment', 'A')")
            moment = await conn.fetchval("select clock_timestamp()")
            await conn.execute("insert into categories (slug, name) values ('after-the-moment', 'B')")
            segment = await conn.fetchval("select pg_walfile_name(pg_switch_wal())")

            async def archived() -> bool:  # the segment holding both writes reached the archive
                last = await conn.fetchval("select last_archived_wal from pg_stat_archiver")
                return last is not None and last >= segment
            await wait_for(archived, timeout=60)
        finally:
            await conn.close()
    finally:
        assert run_cli("db", "stop", env=env).returncode == 0

    listed = run_cli("backup", "list", env=env)
    assert listed.returncode == 0 and "WAL archive:" in listed.stdout and "finished" in listed.stdout
    slugs = await restored_category_slugs(env, moment.isoformat(), restored_dir)
    assert "before-the-moment" in slugs and "after-the-moment" not in slugs

    # A moment later than anything archived: the state at the archive's end.
    latest = await restored_category_slugs(env, "2100-01-01T00:00:00+00:00", tmp_path / "latest")
    assert {"before-the-moment", "after-the-moment"} <= latest


def test_a_base_backup_that_fails_verification_is_not_restored(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = env_without_database(GQL_DATA_DIR=str(data_dir))
    assert run_cli("backup", "base", env=env).returncode == 0
    (base,) = (data_dir / "backups" / "base").iterdir()
    with (base / "global" / "pg_control").open("r+b") as control:  # one flipped byte
        first = control.read(1)
        control.seek(0)
        control.write(bytes([first[0] ^ 0xFF]))
    verified = run_cli("backup", "verify", env=env)
    assert verified.returncode == 1 and "pg_control" in verified.stdout, verified.stdout
    target = tmp_path / "restored"
    refused = run_cli("backup", "restore-to", "--time", "2100-01-01T00:00:00+00:00", "--into", str(target), env=env)
    assert refused.returncode == 1 and "failed verification, nothing restored" in refused.stderr
    assert not target.exists()
