"""The secret that signs tokens when JWT_SECRET is not set: generated at random once per data
directory, kept in `<data dir>/jwt-secret` (mode 0600) and reused across restarts, so tokens
outlive a restart but no two installations share a secret (there used to be a constant in the
source code: anyone could mint an admin token for a server started without JWT_SECRET)."""

from __future__ import annotations

import secrets
from pathlib import Path

from gql.secret_files import generated_secret

SECRET_FILE = "jwt-secret"
MIN_LENGTH = 32


def jwt_secret_of(data_dir: Path) -> str:
    return generated_secret(data_dir / SECRET_FILE, lambda: secrets.token_urlsafe(48), MIN_LENGTH)
