"""Command line: `python -m gql <command>`; see --help."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg

from gql.observability.logs import configure as configure_logging
from gql.observability.logs import uvicorn_log_config
from gql.settings import Settings

log = logging.getLogger("gql")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gql",
        description="GraphQL API for a local-business directory. Without DATABASE_URL, "
                    "commands use the embedded PostgreSQL under ./.data (or GQL_DATA_DIR).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, seed demo data if empty, and serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-seed", action="store_true", help="do not seed an empty database")
    serve.add_argument("--certfile", type=Path, help="serve HTTPS and WSS with this certificate (PEM; "
                                                     "where no proxy terminates TLS)")
    serve.add_argument("--keyfile", type=Path, help="the certificate's private key (PEM)")

    migrate = commands.add_parser("migrate", help="apply or undo migrations, or show status")
    migrate.add_argument("action", nargs="?", choices=["up", "down", "status"], default="up")
    migrate.add_argument("--to", type=int, help="target version (down: default is one step)")

    seed = commands.add_parser("seed", help="load the deterministic demo data set")
    seed.add_argument("--businesses", type=int, default=1000)
    seed.add_argument("--reviews", type=int, default=5000)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--reset", action="store_true", help="replace existing data")

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default="schema.graphql", help="file, or - for stdout")

    db = commands.add_parser("db", help="the database in use: url, start, stop; replica, stop-replica: "
                                        "a streaming replica of the embedded cluster (its URL printed)")
    db.add_argument("action", choices=["url", "start", "stop", "replica", "stop-replica"])

    documents = commands.add_parser("documents", help="register a client's trusted documents "
                                    "(.graphql files, or a .json manifest of hash -> document)")
    documents.add_argument("action", choices=["register"])
    documents.add_argument("files", nargs="+", type=Path)

    backup = commands.add_parser(
        "backup", help="FILE: dump the database to FILE (pg_dump -Fc); base | list | verify | prune |"
                       " restore-to: continuous archiving and point-in-time recovery"
                       " (gql/commands/backups.py)")
    backup.add_argument("file", metavar="FILE|ACTION")
    backup.add_argument("--keep", type=int, default=7, help="prune: base backups to keep")
    backup.add_argument("--time", help="restore-to: the moment, ISO 8601 with its offset")
    backup.add_argument("--into", type=Path, help="restore-to: a new data directory")
    outbox = commands.add_parser("outbox", help="print the messages waiting to be sent (password "
                                                "reset and email verification codes)")
    outbox.add_argument("--mark-sent", action="store_true", help="mark the printed messages sent")
    outbox.add_argument("--limit", type=int, default=100)
    restore = commands.add_parser("restore", help="restore FILE made by backup into the (empty) "
                                                  "database in use")
    restore.add_argument("file")
    restore.add_argument("--replace", action="store_true",
                         help="drop and re-create the database in use first")

    commands.add_parser("rotate-data-key", help="re-seal personal data under a new data key "
                        "(written to the data directory's data-key, or printed when GQL_DATA_KEY is set)")
    return parser


async def _with_connection(url: str, action: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    from gql.database import connect

    conn = await connect(url)
    try:
        await action(conn)
    finally:
        await conn.close()


def _run_on_database(settings: Settings,
                     action: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    from gql.commands.instance import database_in_use

    with database_in_use(settings) as url:
        asyncio.run(_with_connection(url, action))


async def _prepare(conn: asyncpg.Connection, *, seed_if_empty: bool, progress: bool = True) -> None:
    """Migrate, then seed the demo data into an empty database: under the migration lock, so
    that servers starting together on one new database neither migrate nor seed it twice."""
    from gql.commands.migrate import Migrator, migration_lock
    from gql.commands.seed import SeedOptions, is_empty, seed_database

    async with migration_lock(conn):
        for m in await Migrator(conn).up():
            log.info("applied migration %04d_%s", m.version, m.name)
        await conn.execute("select api_private.ensure_audit_partitions(3)")
        if seed_if_empty and await is_empty(conn):
            log.info("empty database: loading the demo data set")
            log.info("seeded %s", await seed_database(conn, SeedOptions(), quiet=not progress))


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it to this handler: leaving
    # with SystemExit runs the `finally` that stops the embedded PostgreSQL.
    raise SystemExit(0)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


LISTEN_BACKLOG = 16384
"""Connections the kernel may queue before they are accepted (it caps this at somaxconn):
10,000 devices reconnecting at once must not be refused."""


def _raise_file_limit() -> None:
    """Every socket is a file descriptor: take the hard limit the system allows this process
    (often 1,024 soft against far more hard), so that 10,000 sockets fit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %s: %s", soft, exc)


def serve(settings: Settings, args: argparse.Namespace) -> int:
    with _metrics_directory(settings.data_dir / "metrics"):
        return _serve(settings, args)


@contextlib.contextmanager
def _metrics_directory(base: Path) -> Iterator[None]:
    """One directory where this server's workers keep their metrics, so that /metrics on any
    of them tells the whole server's (gql/observability/metrics.py): PROMETHEUS_MULTIPROC_DIR when the
    operator chose one (one per server), else <data dir>/metrics/<pid>, removed at exit (and,
    for a server that was killed, by the next one). Emptied and set before prometheus_client
    is imported, which reads the setting once and writes its files at once."""
    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if chosen:
        directory = Path(chosen)
    else:
        for earlier in base.glob("*") if base.is_dir() else ():
            if earlier.name.isdigit() and not _running(int(earlier.name)):
                shutil.rmtree(earlier, ignore_errors=True)
        directory = base / str(os.getpid())
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # (an earlier run's would be summed in)
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    try:
        yield
    finally:
        if not chosen:
            shutil.rmtree(directory, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from gql.commands.instance import database_in_use

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _raise_file_limit()
    if settings.jwt_secret_generated:
        if settings.database_url and not _is_loopback(args.host):
            print("error: JWT_SECRET must be set to serve a shared database (DATABASE_URL) on "
                  f"{args.host}: with a secret per data directory, servers would refuse each "
                  "other's tokens", file=sys.stderr)
            return 1
        log.info("JWT_SECRET is not set: tokens are signed with the secret in %s",
                 settings.data_dir / "jwt-secret")
    if settings.data_key_generated and settings.database_url and not _is_loopback(args.host):
        print("error: GQL_DATA_KEY must be set to serve a shared database (DATABASE_URL) on "
              f"{args.host}: a key generated per data directory is lost with the directory, and "
              "with it every sealed email address", file=sys.stderr)
        return 1
    if (args.certfile is None) != (args.keyfile is None):
        print("error: --certfile and --keyfile go together", file=sys.stderr)
        return 2
    with database_in_use(settings) as url:
        asyncio.run(_with_connection(
            url, lambda conn: _prepare(conn, seed_if_empty=not args.no_seed,
                                       progress=settings.log_format == "text")))  # (no bar among JSON lines)
        os.environ["DATABASE_URL"] = url  # worker processes build the app from the environment
        scheme = "https" if args.certfile else "http"
        print(f"GraphiQL: {scheme}://{args.host}:{args.port}/graphql", file=sys.stderr)
        uvicorn.run("gql.app:app_from_env", factory=True, host=args.host, port=args.port,
                    log_config=uvicorn_log_config(settings.log_format),
                    workers=args.workers, log_level=settings.log_level.lower(),
                    ws="websockets-sansio", ws_max_size=settings.limits.max_body_bytes,
                    proxy_headers=False, backlog=LISTEN_BACKLOG,
                    ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    return 0


def migrate(settings: Settings, args: argparse.Namespace) -> int:
    from gql.commands.migrate import Migrator

    async def run(conn: asyncpg.Connection) -> None:
        migrator = Migrator(conn)
        if args.action == "status":
            for state in await migrator.status():
                m = state.migration
                mark = "MODIFIED" if state.modified else "applied" if state.applied else "pending"
                print(f"{m.version:04d}  {m.name:<32} {mark}")
            return
        if args.action == "up":
            verb, done = "applied", await migrator.up(to=args.to)
        else:
            verb, done = "undid", await migrator.down(to=args.to)
        print(f"{verb} {len(done)} migration(s); now at {await migrator.current_version()}")
        if verb == "undid" and done:
            print("the api schema (db/functions) was removed with them; `migrate up` restores it")

    _run_on_database(settings, run)
    return 0


def seed(settings: Settings, args: argparse.Namespace) -> int:
    from gql.commands.migrate import Migrator
    from gql.commands.seed import SeedOptions, seed_database

    async def run(conn: asyncpg.Connection) -> None:
        await Migrator(conn).up()
        options = SeedOptions(businesses=args.businesses, reviews=args.reviews, seed=args.seed)
        counts = await seed_database(conn, options, replace=args.reset)
        print(", ".join(f"{n} {table}" for table, n in counts.items()))

    _run_on_database(settings, run)
    return 0


def export_schema(_settings: Settings, args: argparse.Namespace) -> int:
    from gql.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def documents(settings: Settings, args: argparse.Namespace) -> int:
    from gql.commands.migrate import Migrator
    from gql.edge.persisted_documents import read_documents

    try:
        found = read_documents(args.files)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    async def run(conn: asyncpg.Connection) -> None:
        await Migrator(conn).up()
        new = 0
        async with conn.transaction():  # (all of them or, on an id naming another document, none)
            for registration in found:
                added = await conn.fetchval("select api_private.register_document($1, $2, $3)",
                                            registration.sha256, registration.document, registration.source)
                for document_id in registration.ids:
                    await conn.execute("select api_private.register_document_id($1, $2)", document_id,
                                       registration.sha256)
                new += bool(added)
        print(f"registered {new} new document(s); {len(found) - new} were registered already")

    try:
        _run_on_database(settings, run)
    except asyncpg.UniqueViolationError as exc:  # an id that names another document: nothing registered
        print(f"error: {exc}; nothing was registered", file=sys.stderr)
        return 1
    return 0


def outbox(settings: Settings, args: argparse.Namespace) -> int:
    from gql.commands import outbox as messages

    async def run(conn: asyncpg.Connection) -> None:
        waiting = await messages.pending(conn, settings.data_key, args.limit)
        for m in waiting:
            print(f"--- message {m.id} ({m.kind})\nTo: {m.recipient}\nSubject: {m.subject}\n\n{m.body}\n")
        if args.mark_sent and waiting:
            print(f"marked {await messages.mark_sent(conn, [m.id for m in waiting])} message(s) sent")
        elif not waiting:
            print("no messages waiting")

    _run_on_database(settings, run)
    return 0


def db(settings: Settings, args: argparse.Namespace) -> int:
    from gql.commands.instance import database_in_use

    if args.action == "stop":
        if settings.database_url:
            print("DATABASE_URL is set: that server is not ours to stop", file=sys.stderr)
            return 1
        from gql.postgres.embedded import EmbeddedPostgres

        EmbeddedPostgres(settings.data_dir).stop_cluster()
        return 0
    if args.action in ("replica", "stop-replica"):
        if settings.database_url:
            print("DATABASE_URL is set: make its replica with that server's tooling and set "
                  "DATABASE_REPLICA_URL", file=sys.stderr)
            return 1
        from gql.postgres.replica import create_embedded_replica, stop_embedded_replica

        if args.action == "stop-replica":
            stop_embedded_replica(settings.data_dir / "replica")
            return 0
        with database_in_use(settings, keep_running=True) as url:
            print(create_embedded_replica(url, settings.data_dir / "replica"))  # for DATABASE_REPLICA_URL
        return 0
    # url and start: leave an embedded cluster running so the URL stays usable.
    with database_in_use(settings, keep_running=True) as url:
        print(url)
    return 0


def _pg_tool(name: str, url: str) -> str:
    """pg_dump/pg_restore of the server's major version: the wheel's own (PostgreSQL 18)
    write archives and SET commands an older server cannot read."""
    import shutil

    from gql.postgres.embedded import EmbeddedUnavailable, tool_path

    async def server_major() -> int:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval("select current_setting('server_version_num')")) // 10000
        finally:
            await conn.close()

    def major_of(program: str) -> int | None:
        out = subprocess.run([program, "--version"], capture_output=True, text=True).stdout
        digits = out.split()[-1].split(".")[0] if out.split() else ""
        return int(digits) if digits.isdigit() else None

    major = asyncio.run(server_major())
    embedded = None
    with contextlib.suppress(EmbeddedUnavailable):  # (an image without it has the system's)
        embedded = str(tool_path(name))
    for candidate in (embedded, f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)):
        if candidate and Path(candidate).exists() and major_of(candidate) == major:
            return candidate
    if embedded is None:
        raise EmbeddedUnavailable(f"no {name} for PostgreSQL {major} here: install its client programs "
                                  f"(Debian: postgresql-client-{major})")
    log.warning("no %s for PostgreSQL %s found; using the embedded one", name, major)
    return embedded


PITR_ACTIONS = ("base", "list", "verify", "prune", "restore-to")


def backup(settings: Settings, args: argparse.Namespace) -> int:
    from gql.commands.instance import database_in_use

    if args.file in PITR_ACTIONS:
        from gql.commands.backup_commands import run_pitr

        return run_pitr(settings, args)
    with database_in_use(settings) as url:
        subprocess.run([_pg_tool("pg_dump", url), "--format=custom", f"--file={args.file}",
                        f"--dbname={url}"], check=True)
    print(f"wrote {args.file}", file=sys.stderr)
    return 0


def restore(settings: Settings, args: argparse.Namespace) -> int:
    """pg_restore into an empty database: --clean cannot replace partitioned tables (the
    audit log), so a database that has data is re-created (--replace) rather than cleaned."""
    from urllib.parse import urlsplit

    from gql.commands.instance import database_in_use
    from gql.database import drop_database, ensure_database, with_database

    with database_in_use(settings) as url:
        name = urlsplit(url).path.lstrip("/")

        async def has_tables() -> bool:
            """Whether the database holds tables; first, the server-wide request roles
            are made where missing (a new server), as no dump carries them."""
            from gql.commands.migrate import CLUSTER_ROLES
            from gql.database import connect

            conn = await connect(url)
            try:
                await conn.execute(CLUSTER_ROLES.read_text())
                return bool(await conn.fetchval(
                    "select exists(select 1 from pg_tables where schemaname = 'public')"))
            finally:
                await conn.close()

        if asyncio.run(has_tables()):
            if not args.replace:
                print(f"error: database {name} is not empty; pass --replace to drop and re-create it",
                      file=sys.stderr)
                return 1
            maintenance = with_database(url, "postgres")
            asyncio.run(drop_database(maintenance, name))
            asyncio.run(ensure_database(maintenance, name))
        subprocess.run([_pg_tool("pg_restore", url), "--no-owner", "--single-transaction",
                        "--exit-on-error", f"--dbname={url}", args.file], check=True)
    print(f"restored {args.file} into {name}", file=sys.stderr)
    return 0


def rotate_data_key(settings: Settings, _args: argparse.Namespace) -> int:
    """The new key is written to <data dir>/data-key.new (0600, never over an existing one)
    before the database is re-sealed, so no crash can lose it; then it replaces data-key, or,
    with GQL_DATA_KEY set, stays there for the operator to move into the secret store."""
    from gql.commands.migrate import Migrator
    from gql.identity.data_key import KEY_FILE, DataKey
    from gql.identity.sealing import rotate_data_key as reseal
    from gql.identity.secret_files import write_secret

    pending = settings.data_dir / f"{KEY_FILE}.new"
    if pending.exists():
        print(f"error: {pending} exists: an earlier rotation did not finish. If the server refuses "
              "the current key, the database was re-sealed with that one: make it the key (move it "
              f"to {KEY_FILE}, or into GQL_DATA_KEY); otherwise delete it. Then rotate again.",
              file=sys.stderr)
        return 1
    new_text = DataKey.new_text()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    write_secret(pending, new_text, exclusive=True)

    async def run(conn: asyncpg.Connection) -> None:
        await Migrator(conn).up()
        rows = await reseal(conn, settings.data_key, DataKey.parse(new_text))
        print(f"re-sealed {rows} row(s)", file=sys.stderr)

    _run_on_database(settings, run)
    if os.environ.get("GQL_DATA_KEY"):
        print(f"GQL_DATA_KEY is set: set it to the new key in {pending} before the next start, "
              "then delete that file", file=sys.stderr)
    else:
        os.replace(pending, settings.data_dir / KEY_FILE)
        print(f"the new key is in {settings.data_dir / KEY_FILE}", file=sys.stderr)
    return 0


COMMANDS = {
    "serve": serve, "migrate": migrate, "seed": seed, "export-schema": export_schema,
    "db": db, "documents": documents, "backup": backup, "restore": restore, "outbox": outbox,
    "rotate-data-key": rotate_data_key,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that cannot be read, named by the message
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    from gql.commands.migrate import MigrationError
    from gql.commands.seed import DatabaseNotEmpty
    from gql.identity.data_key import DataKeyError
    from gql.postgres.embedded import EmbeddedUnavailable

    try:
        return COMMANDS[args.command](settings, args)
    except (MigrationError, DatabaseNotEmpty, DataKeyError, EmbeddedUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
