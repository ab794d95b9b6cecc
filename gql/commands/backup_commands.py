"""`python -m gql backup base | list | verify | prune | restore-to`: the operator's side of
gql/commands/backups.py, for the embedded cluster."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from gql.commands.backups import (
    BackupError,
    base_backups,
    enable_archiving,
    prune,
    restart_embedded,
    restore_to,
    take_base_backup,
    verify,
    wal_dir,
)
from gql.settings import Settings


def run_pitr(settings: Settings, args: argparse.Namespace) -> int:
    if settings.database_url:
        print("error: continuous archiving is for the embedded cluster; for DATABASE_URL use the "
              "server's own tooling (or `backup FILE` for a logical dump)", file=sys.stderr)
        return 1
    assert settings.backup_dir is not None
    backup_dir = settings.backup_dir
    try:
        if args.file == "base":
            return _base(settings)
        if args.file == "list":
            for b in base_backups(backup_dir):
                print(f"{b.name}  finished {b.finished_at.isoformat()}  {b.size_bytes() / 1e6:.1f} MB")
            segments = sorted(p.name for p in wal_dir(backup_dir).glob("*"))
            span = f", {segments[0]} .. {segments[-1]}" if segments else ""
            print(f"WAL archive: {len(segments)} file(s){span}")
            return 0
        if args.file == "verify":
            problems = [(b.name, verify(b.path)) for b in base_backups(backup_dir)]
            for name, problem in problems:
                print(f"{name}: {problem or 'verified'}")
            return 1 if any(p for _, p in problems) or not problems else 0
        if args.file == "prune":
            for name in prune(backup_dir, args.keep):
                print(f"removed {name}")
            return 0
        if args.time is None or args.into is None:
            print("error: restore-to needs --time (ISO 8601 with its offset) and --into (a new data "
                  "directory)", file=sys.stderr)
            return 2
        moment = datetime.fromisoformat(args.time)
        if moment.tzinfo is None:
            print("error: --time needs its UTC offset (e.g. 2026-11-29T17:00:00+00:00)", file=sys.stderr)
            return 2
        base = restore_to(backup_dir, moment, args.into.resolve(), settings.data_dir)
        print(f"restored {args.into} as of {moment.isoformat()} from base backup {base.name}; serve it with "
              f"GQL_DATA_DIR={args.into} python -m gql serve", file=sys.stderr)
        return 0
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _base(settings: Settings) -> int:
    from gql.commands.instance import database_in_use
    from gql.database import connect

    assert settings.backup_dir is not None
    with database_in_use(settings) as url:
        async def archive() -> bool:
            conn = await connect(url)
            try:
                return await enable_archiving(conn, settings.backup_dir)  # type: ignore[arg-type]
            finally:
                await conn.close()

        if asyncio.run(archive()):
            print("archiving turned on: restarting the embedded cluster (connections drop once)",
                  file=sys.stderr)
            restart_embedded(settings.data_dir)
        base = take_base_backup(url, settings.backup_dir)
    print(f"base backup {base.name} ({base.size_bytes() / 1e6:.1f} MB), verified", file=sys.stderr)
    return 0
