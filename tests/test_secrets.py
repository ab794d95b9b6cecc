"""No constant secret: each data directory signs tokens with a random secret of its own,
kept across restarts; secrets and connection strings never appear in a repr; a shared
database is not served to the network without JWT_SECRET."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest

from gql.identity.auth import InvalidToken, identity_from_authorization, issue_token
from gql.settings import Settings
from tests.support import REPOSITORY


def test_each_data_directory_has_its_own_secret_kept_across_restarts(tmp_path: Path) -> None:
    first = Settings.from_env({"GQL_DATA_DIR": str(tmp_path / "a")})
    second = Settings.from_env({"GQL_DATA_DIR": str(tmp_path / "b")})
    assert first.jwt_secret != second.jwt_secret and len(first.jwt_secret) >= 32
    assert stat.S_IMODE((tmp_path / "a" / "jwt-secret").stat().st_mode) == 0o600
    token, _ = issue_token(uuid4(), ["admin"], first.jwt_secret, ttl_seconds=60)
    with pytest.raises(InvalidToken):  # a token of one installation means nothing to another
        identity_from_authorization(f"Bearer {token}", second.jwt_secret)
    restarted = Settings.from_env({"GQL_DATA_DIR": str(tmp_path / "a")})
    assert identity_from_authorization(f"Bearer {token}", restarted.jwt_secret).roles == {"admin"}
    assert Settings.from_env({"GQL_DATA_DIR": str(tmp_path / "a"), "JWT_SECRET": "x" * 40}).jwt_secret == "x" * 40


def test_secrets_are_not_in_a_repr(tmp_path: Path) -> None:
    settings = Settings.from_env({"GQL_DATA_DIR": str(tmp_path), "JWT_SECRET": "s3cr3t-" * 6,
                                  "DATABASE_URL": "postgresql://app:hunter2@db.example/directory"})
    shown = repr(settings)
    assert "s3cr3t" not in shown and "hunter2" not in shown


@pytest.mark.parametrize("host, refused", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_a_shared_database_is_not_served_to_the_network_without_jwt_secret(
        tmp_path: Path, host: str, refused: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
    env |= {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "GQL_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "gql", "serve", "--host", host, "--port", "1"], cwd=REPOSITORY,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0  # refused, or (on loopback) failing later to reach the database
    assert ("JWT_SECRET must be set" in done.stderr) is refused, done.stderr[-500:]


@pytest.mark.parametrize("secret", ["s3cr3t", "bench-only-secret", "x" * 31, "\u00e9" * 15])
def test_a_jwt_secret_too_short_to_sign_with_is_refused_naming_it(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ValueError, match=rf"JWT_SECRET is {len(secret.encode())} bytes long; it must be at least 32"):
        Settings.from_env({"GQL_DATA_DIR": str(tmp_path), "JWT_SECRET": secret})
    env = {**os.environ, "GQL_DATA_DIR": str(tmp_path), "JWT_SECRET": secret}
    done = subprocess.run([sys.executable, "-m", "gql", "serve", "--port", "1"], cwd=REPOSITORY, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "JWT_SECRET is" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert secret not in done.stderr
