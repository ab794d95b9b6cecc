"""Secrets generated once per data directory: written atomically with mode 0600 and reused
across restarts, so that no two installations share one and none is in the source code."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def generated_secret(path: Path, make: Callable[[], str], min_length: int) -> str:
    """The secret in `path`, made with `make` first if the file does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_secret(path, make(), exclusive=True)
    secret = path.read_text().strip()
    if len(secret) < min_length:
        raise RuntimeError(f"{path} holds no usable secret: delete it to have a new one made")
    return secret


def write_secret(path: Path, secret: str, *, exclusive: bool = False) -> None:
    """Write `secret` to `path` (mode 0600) in one step: readers see the old file or the new
    one. With exclusive, a file that already exists wins (of processes starting together,
    the first one's secret is the one all of them read)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    try:
        if exclusive:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        else:
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
