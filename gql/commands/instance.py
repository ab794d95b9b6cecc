"""The database in use: DATABASE_URL when set, otherwise the embedded cluster's app database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from gql.database import ensure_database
from gql.postgres.embedded import APP_DATABASE, EmbeddedPostgres
from gql.settings import Settings


@contextmanager
def database_in_use(settings: Settings, *, keep_running: bool = False) -> Iterator[str]:
    """Yield the URL of the database to use; an embedded cluster started here stops on exit
    (unless keep_running, or another process still uses it)."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir, keep_running=keep_running)
    server_url = embedded.start()
    try:
        yield asyncio.run(ensure_database(server_url, APP_DATABASE))
    finally:
        embedded.stop()
