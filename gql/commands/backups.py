"""Continuous archiving and point-in-time recovery of the embedded cluster.

The backup directory (GQL_BACKUP_DIR, default <data dir>/backups) holds `wal/`, every WAL
segment the cluster completes (archive_command), and `base/<finished at>/`, base backups
(pg_basebackup, plain format, with their own WAL and a manifest pg_verifybackup checks). A
base backup plus the archived WAL after it recreate the cluster as of any moment since: the
restore copies the newest base backup finished before that moment into a new data directory
and replays the archive up to it, then stops there as an ordinary cluster of its own.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from gql.postgres.embedded import (
    EmbeddedPostgres,
    ToolFailed,
    forget_running_files,
    run_tool,
    server_user_ids,
    tool_path,
)

STAMP = "%Y%m%dT%H%M%S%fZ"
RECOVERY_TIMEOUT_SECONDS = 3600.0
ARCHIVE_TIMEOUT_SECONDS = 60


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (nothing was changed)."""


@dataclass(frozen=True)
class BaseBackup:
    path: Path
    finished_at: datetime

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def first_wal(self) -> str:
        """The first WAL segment the backup needs (from its backup_label)."""
        label = (self.path / "backup_label").read_text()
        found = re.search(r"START WAL LOCATION: .* \(file ([0-9A-F]{24})\)", label)
        if found is None:
            raise BackupError(f"{self.path}: no start WAL location in backup_label")
        return found.group(1)

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())


def wal_dir(backup_dir: Path) -> Path:
    return backup_dir / "wal"


def base_backups(backup_dir: Path) -> list[BaseBackup]:
    """Base backups, oldest first."""
    found = []
    for path in sorted((backup_dir / "base").glob("*")):
        try:
            finished = datetime.strptime(path.name, STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue  # not one of ours (or one still being written: it has a temporary name)
        found.append(BaseBackup(path, finished))
    return found


async def enable_archiving(conn: asyncpg.Connection, backup_dir: Path) -> bool:
    """Have the cluster archive each completed WAL segment into the backup directory; True
    when that needs a restart (archive_mode was off)."""
    wal = wal_dir(backup_dir)
    wal.mkdir(parents=True, exist_ok=True)
    _give_to_server(backup_dir, wal)
    # Never over an existing segment: a second cluster archiving here must fail loudly.
    # Copied under a temporary name, then renamed: a crash mid-copy leaves no partial segment.
    w = _shell_quoted(wal)
    command = f"test ! -f {w}/%f && cp %p {w}/%f.partial && mv {w}/%f.partial {w}/%f"
    await conn.execute(f"alter system set archive_command = {_literal(command)}")
    # A segment is archived when full, or after this long with writes in it: at most this
    # much of the latest work is missing from a restore.
    await conn.execute(f"alter system set archive_timeout = '{ARCHIVE_TIMEOUT_SECONDS}s'")
    await conn.execute("select pg_reload_conf()")
    if await conn.fetchval("show archive_mode") == "off":
        await conn.execute("alter system set archive_mode = 'on'")
        return True
    return False


def take_base_backup(url: str, backup_dir: Path) -> BaseBackup:
    """pg_basebackup into base/, renamed to its finishing time once complete and verified."""
    base = backup_dir / "base"
    base.mkdir(parents=True, exist_ok=True)
    partial = base / f".partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    _run([str(tool_path("pg_basebackup")), f"--dbname={url}", f"--pgdata={partial}", "--wal-method=stream",
          "--checkpoint=fast", "--no-password"])
    problem = verify(partial)
    if problem:
        shutil.rmtree(partial, ignore_errors=True)
        raise BackupError(f"the new base backup failed verification: {problem}")
    finished = base / datetime.now(UTC).strftime(STAMP)
    partial.rename(finished)
    return BaseBackup(finished, datetime.strptime(finished.name, STAMP).replace(tzinfo=UTC))


def verify(path: Path) -> str | None:
    """pg_verifybackup's complaint about a base backup, or None when it checks out."""
    result = subprocess.run([str(tool_path("pg_verifybackup")), "--quiet", str(path)],
                            capture_output=True, text=True, check=False)
    return None if result.returncode == 0 else (result.stderr.strip() or f"exit status {result.returncode}")


def prune(backup_dir: Path, keep: int) -> list[str]:
    """Keep the newest `keep` base backups and the WAL they need; returns what was removed."""
    if keep < 1:
        raise BackupError("keep at least one base backup")
    backups = base_backups(backup_dir)
    removed = []
    for old in backups[:-keep]:
        shutil.rmtree(old.path)
        removed.append(old.name)
    kept = backups[-keep:]
    if kept and wal_dir(backup_dir).exists():
        oldest_needed = kept[0].first_wal
        for segment in sorted(wal_dir(backup_dir).iterdir()):
            if re.fullmatch(r"[0-9A-F]{24}(\.partial)?", segment.name) and segment.name[:24] < oldest_needed:
                segment.unlink()
                removed.append(segment.name)
    return removed


def restore_to(backup_dir: Path, moment: datetime, into: Path, data_dir: Path) -> BaseBackup:
    """The cluster as of `moment`, in the new data directory `into` (its pg/, and the data
    key and JWT secret files of `data_dir`, without which sealed data cannot be read)."""
    if (into / "pg").exists():
        raise BackupError(f"{into / 'pg'} exists: restore into a new data directory")
    usable = [b for b in base_backups(backup_dir) if b.finished_at <= moment]
    if not usable:
        raise BackupError(f"no base backup finished before {moment.isoformat()}")
    base = usable[-1]
    problem = verify(base.path)
    if problem:
        raise BackupError(f"base backup {base.name} failed verification, nothing restored: {problem}")
    pgdata = into / "pg"
    into.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base.path, pgdata)
    (pgdata / "backup_manifest").unlink(missing_ok=True)
    forget_running_files(pgdata)
    for name in ("data-key", "jwt-secret"):
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, into / name)
    wal = wal_dir(backup_dir)
    with (pgdata / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"restore_command = {_literal(f'cp {_shell_quoted(wal)}/%f %p')}\n"
                   f"recovery_target_time = {_literal(moment.isoformat())}\n"
                   "recovery_target_action = 'promote'\n"
                   "archive_mode = 'off'\n")  # the copy must not archive into the original's WAL
    (pgdata / "recovery.signal").touch()
    os.chmod(pgdata, 0o700)
    _give_to_server(pgdata, *pgdata.rglob("*"))
    try:
        _recover(pgdata)
    except BackupError:
        if ARCHIVE_ENDS_EARLY not in (pgdata / "log").read_text():
            raise
        # Nothing in the archive is as late as the moment: the state at that moment is the
        # archive's end (what the cluster had not archived yet is not in it: archive_timeout
        # bounds that). Recover to the end instead.
        auto_conf = pgdata / "postgresql.auto.conf"
        lines = auto_conf.read_text().splitlines(keepends=True)
        auto_conf.write_text("".join(line for line in lines if not line.startswith("recovery_target_time")))
        _recover(pgdata)
    return base


ARCHIVE_ENDS_EARLY = "recovery ended before configured recovery target was reached"


def _recover(pgdata: Path) -> None:
    """Start the copy on a socket of its own, wait for recovery to reach its target and
    promote, then stop it."""
    pg_ctl = [str(tool_path("pg_ctl")), "-D", str(pgdata), "-w", "-t", str(int(RECOVERY_TIMEOUT_SECONDS))]
    options = f"-c listen_addresses='' -c unix_socket_directories='{pgdata}'"
    _run([*pg_ctl, "start", "-o", options, "-l", str(pgdata / "log")], as_server=True)
    try:
        asyncio.run(_promoted(f"postgresql://postgres@/postgres?host={pgdata}", pgdata))
    finally:
        _run([*pg_ctl, "stop", "-m", "fast"], as_server=True)


async def _promoted(url: str, pgdata: Path) -> None:
    async with asyncio.timeout(RECOVERY_TIMEOUT_SECONDS):
        while True:
            try:
                conn = await asyncpg.connect(url)
                try:
                    if not await conn.fetchval("select pg_is_in_recovery()"):
                        return
                finally:
                    await conn.close()
            except (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
                    asyncpg.InterfaceError) as exc:
                # A recovery that cannot reach its target ends the server (its log says why;
                # restore_to reads it); while it runs, a failed look is only tried again.
                if not (pgdata / "postmaster.pid").exists():
                    raise BackupError("recovery stopped before it was done; see the server log "
                                      f"in {pgdata / 'log'}") from exc
            await asyncio.sleep(0.2)  # recovery replays on its own; this only looks


def _shell_quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _give_to_server(*paths: Path) -> None:
    """As root, the embedded server runs as its own user: it must own what it writes."""
    ids = server_user_ids()
    if ids is None:
        return
    for path in paths:
        os.chown(path, *ids)


def _run(command: list[str], *, as_server: bool = False) -> None:
    try:
        run_tool(command, as_server=as_server)
    except ToolFailed as exc:
        raise BackupError(str(exc)) from exc


def restart_embedded(data_dir: Path) -> None:
    """Restart the embedded cluster (archive_mode takes effect only then)."""
    EmbeddedPostgres(data_dir).restart()
