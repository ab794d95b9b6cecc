"""The project as a package: built into a wheel, installed into a clean environment with the
locked dependencies and nothing of this checkout on its path, it migrates and serves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from gql.commands.migrate import MigrationError, discover
from tests.support import REPOSITORY, serve_in_subprocess
from tests.test_cli import free_port, stop


def build_wheel(into: Path) -> Path:
    """From a copy of what the sdist would hold, so that the checkout gets no build/ folder."""
    source = into / "source"
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPOSITORY / name, source / name)
    for folder in ("gql", "db"):
        shutil.copytree(REPOSITORY / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "uv", "build", "--wheel", "--quiet", "--out-dir", str(into), str(source)],
                   check=True, timeout=300)
    (wheel,) = into.glob("*.whl")
    return wheel


def test_the_wheel_holds_every_module_and_the_sql(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(build_wheel(tmp_path)).namelist())
    modules = {p.relative_to(REPOSITORY).as_posix() for p in (REPOSITORY / "gql").rglob("*.py")}
    assert modules - names == set(), "modules left out of the wheel (pyproject.toml's packages)"
    sql = {"gql/" + p.relative_to(REPOSITORY).as_posix() for p in (REPOSITORY / "db").rglob("*.sql")}
    assert sql - names == set(), "SQL left out of the wheel"


def test_an_installation_without_migrations_refuses_to_migrate(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="no migration files"):
        discover(tmp_path)


async def test_a_pip_installed_wheel_serves_with_the_embedded_database(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    environment = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(environment)], check=True, timeout=120)
    python = environment / "bin" / "python"
    # As pip installs it: the wheel and the dependencies it declares (none of the test tools),
    # at the locked versions.
    subprocess.run([*uv, "pip", "install", "--quiet", "--python", str(python), "--constraint",
                    str(REPOSITORY / "requirements.lock"), str(wheel)], check=True, timeout=600)
    installed = subprocess.run([*uv, "pip", "list", "--python", str(python)], capture_output=True, text=True,
                               check=True).stdout
    assert "pytest" not in installed and "mypy" not in installed, installed
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(python), "-c", "import gql, sys; print(gql.__file__); print(sys.path)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert str(environment) in where.splitlines()[0] and str(REPOSITORY) not in where, where
    port = free_port()
    env |= {"GQL_DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    process = await serve_in_subprocess(port, env, args=("--no-seed",), python=str(python), cwd=tmp_path)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            body = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
        assert body == {"data": {"categories": []}}
    finally:
        stop(process)
