"""The secret that signs tokens when JWT_SECRET is not set: generated at random once per data
directory, kept in `<data dir>/jwt-secret` (mode 0600) and reused across restarts, so tokens
outlive a restart but no two installations share a secret (there used to be a constant in the
source code: anyone could mint an admin token for a server started without JWT_SECRET)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "jwt-secret"
MIN_LENGTH = 32


def generated_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:  # atomic: of processes starting together, the first link wins and all read it
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text().strip()
    if len(secret) < MIN_LENGTH:
        raise RuntimeError(f"{path} holds no usable secret: delete it to have a new one made")
    return secret
