"""`serve --workers 2` as an operator runs it, watched from outside: /metrics on either worker
tells the whole server's figures, a killed worker's gauges stop counting, traces reach an
OTLP/HTTP collector, and the log is JSON lines carrying the trace ids."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from prometheus_client.parser import text_string_to_metric_families

from tests.support import REPOSITORY, wait_for
from tests.test_cli import env_without_database, free_port

WORKERS = 2
POOL_MAX = 4
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class Collector:
    """An OTLP/HTTP trace receiver: what the exporters send, decoded."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str]] = []  # (trace id, span name, service name)
        self.values: list[str] = []  # every attribute value of every span
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                request = ExportTraceServiceRequest.FromString(body)
                with collector.lock:
                    for resource_spans in request.resource_spans:
                        service = next((a.value.string_value for a in resource_spans.resource.attributes
                                        if a.key == "service.name"), "")
                        for scope_spans in resource_spans.scope_spans:
                            collector.spans += [(span.trace_id.hex(), span.name, service)
                                                for span in scope_spans.spans]
                            collector.values += [str(a.value.string_value or a.value) for span in scope_spans.spans
                                                 for a in span.attributes]
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def names_in(self, trace_id: str) -> set[str]:
        with self.lock:
            return {name for trace, name, _ in self.spans if trace == trace_id}


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    collector = Collector()
    thread = threading.Thread(target=collector.server.serve_forever, daemon=True)
    thread.start()
    yield collector
    collector.server.shutdown()


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def workers(self) -> set[int]:
        """The worker processes (uvicorn spawns them with multiprocessing)."""
        found = set()
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"spawn_main" in cmdline:
                    found.add(int(child))
        return found


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory, collector: Collector) -> AsyncIterator[Served]:
    directory = tmp_path_factory.mktemp("observed")
    log = directory / "serve.log"
    port = free_port()
    env = env_without_database(
        GQL_DATA_DIR=str(directory / "data"), GQL_LOG_FORMAT="json", LOG_LEVEL="INFO",
        GQL_POOL_MAX=str(POOL_MAX), OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_BSP_SCHEDULE_DELAY="100",
        OTEL_SERVICE_NAME="directory-under-test")
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gql", "serve", "--port", str(port), "--workers", str(WORKERS)],
            cwd=REPOSITORY, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
    served = Served(process, port, log)

    async def healthy() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"{served.url}/health")).status_code == 200
        except httpx.TransportError:
            return False

    try:
        await wait_for(healthy, timeout=180)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as http:  # a new connection: either worker may answer
        text = (await http.get(f"{url}/metrics")).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def requests_named(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    return samples.get(("gql_request_duration_seconds_count", (("operation", name), ("type", "query"))), 0.0)


async def test_every_worker_reports_the_whole_servers_figures(served: Served) -> None:
    # Gauges of the live workers are summed: each samples its pool once it has started.
    async def both_workers_counted() -> bool:
        return (await scrape(served.url)).get(("gql_db_pool_max", ()), 0) == WORKERS * POOL_MAX

    await wait_for(both_workers_counted, timeout=30)
    requests = 20
    for _ in range(requests):
        async with httpx.AsyncClient() as http:  # new connections, spread over the workers
            answer = await http.post(f"{served.url}/graphql", json={"query": "query Aggregated { categories { slug } }"})
            assert answer.status_code == 200 and not answer.json().get("errors")
    for _ in range(6):  # whichever worker is scraped, it counts every request
        assert requests_named(await scrape(served.url), "Aggregated") == requests


async def test_a_killed_worker_stops_counting_and_its_successor_counts(served: Served) -> None:
    before = await scrape(served.url)
    before_pids = served.workers()
    victim = min(before_pids)
    os.kill(victim, signal.SIGKILL)

    async def replaced() -> bool:  # uvicorn starts a new worker in its place
        return any(line.get("process") not in (None, victim, *before_pids)
                   and line["message"].startswith("Application startup complete")
                   for line in served.log_lines())

    await wait_for(replaced, timeout=60)
    for _ in range(6):  # the dead worker's gauges no longer count, its successor's do
        after = await scrape(served.url)
        assert after.get(("gql_db_pool_max", ()), 0) == WORKERS * POOL_MAX
    # Counters keep what the dead worker counted (a total never goes down).
    assert requests_named(after, "Aggregated") == requests_named(before, "Aggregated")


async def test_traces_reach_the_collector_and_log_lines_carry_them(served: Served, collector: Collector) -> None:
    traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{served.url}/graphql", headers={"traceparent": traceparent},
                                 json={"query": "query Traced { businesses(first: 1) { totalCount } }"})
    assert answer.status_code == 200 and not answer.json().get("errors")

    async def exported() -> bool:
        names = collector.names_in(TRACE_ID)
        # the HTTP request, Strawberry's operation, and SQL statements sent by asyncpg
        return any(n.startswith("POST") for n in names) and any("Traced" in n for n in names) \
            and any(n.startswith(("SELECT", "BEGIN", "select")) for n in names)

    await wait_for(exported, timeout=30)
    assert {service for trace, _, service in collector.spans if trace == TRACE_ID} == {"directory-under-test"}

    lines = served.log_lines()
    assert lines, "no JSON log lines"
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access" and "POST /graphql" in line["message"]]
    assert any(line.get("trace_id") == TRACE_ID for line in access), access[-3:]
    assert not [line for line in served.log.read_text().splitlines() if line.strip() and not line.startswith("{")
                and not line.startswith("GraphiQL:")], "a log line that is not JSON"


async def test_traces_hold_nothing_a_client_sent(served: Served, collector: Collector) -> None:
    secret_trace, get_trace = "5bf92f3577b34da6a3ce929d0e0e4736", "6bf92f3577b34da6a3ce929d0e0e4736"
    async with httpx.AsyncClient(base_url=served.url) as http:
        await http.post("/graphql", headers={"traceparent": f"00-{secret_trace}-00f067aa0ba902b7-01"}, json={
            "query": 'mutation Leak { logIn(email: "leak@example.com", password: "hunter2-secret") { token } }'})
        await http.get("/graphql", headers={"traceparent": f"00-{get_trace}-00f067aa0ba902b7-01"}, params={
            "query": "query Q($e: String) { categories { slug } }", "variables": '{"e": "leak2@example.com"}'})
        for _ in range(3):
            assert (await http.get("/health")).status_code == 200

    async def exported() -> bool:
        return any("Leak" in name for name in collector.names_in(secret_trace)) \
            and any(name.startswith("GET") for name in collector.names_in(get_trace))

    await wait_for(exported, timeout=30)
    with collector.lock:
        values = list(collector.values)
    for sent in ("hunter2-secret", "leak@example.com", "leak2@example.com"):
        assert not [v for v in values if sent in v], f"{sent} is in a span"
    assert "select 1" not in values, "a health check's statement was traced on its own"
