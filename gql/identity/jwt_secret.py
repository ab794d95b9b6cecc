"""The secret that signs tokens when JWT_SECRET is not set: generated at random once per data
directory, kept in `<data dir>/jwt-secret` (mode 0600) and reused across restarts, so tokens
outlive a restart but no two installations share a secret (there used to be a constant in the
source code: anyone could mint an admin token for a server started without JWT_SECRET)."""

from __future__ import annotations

import secrets
from pathlib import Path

from gql.identity.secret_files import generated_secret

SECRET_FILE = "jwt-secret"
MIN_LENGTH = 32
"""Bytes: an HS256 key must be at least as long as the hash (RFC 7518, section 3.2); a shorter
one is open to offline guessing from any token it signed."""


def jwt_secret_of(data_dir: Path) -> str:
    return generated_secret(data_dir / SECRET_FILE, lambda: secrets.token_urlsafe(48), MIN_LENGTH)



def jwt_secret_from(given: str | None, data_dir: Path) -> str:
    """JWT_SECRET when set (refused with a ValueError naming it when too short to sign with),
    else the data directory's own."""
    if not given:
        return jwt_secret_of(data_dir)
    size = len(given.encode())
    if size < MIN_LENGTH:
        raise ValueError(f"JWT_SECRET is {size} bytes long; it must be at least {MIN_LENGTH} bytes "
                         "(RFC 7518, section 3.2): make one with `python3 -c 'import secrets; "
                         "print(secrets.token_urlsafe(48))'`")
    return given
