"""`python -m bench run [--quick]`: every scenario against this server, PostGraphile 5 and the
SQL limit on one data set in one run; writes bench/results/<date>.json and BENCHMARKS.md."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report
from bench.dataset import counts, grow
from bench.processes import (
    ensure_node_tools,
    measured,
    postgraphile,
    run_autocannon,
    this_server,
)
from bench.realtime import fanout
from bench.scenarios import SCENARIOS, Request, Scenario
from bench.server import bench_database
from bench.sql_limit import capture, capture_server, replay, settle
from gql.database import connect

RESULTS = Path(__file__).with_name("results")


def save(results: dict[str, Any], path: Path) -> None:
    """Written after every phase, so a run that fails late keeps what it measured."""
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")


@dataclass(frozen=True)
class Plan:
    businesses: int
    reviews: int
    events: int
    seconds: float
    concurrency: tuple[int, ...]
    subscribers: tuple[int, ...]
    fanout_events: int
    fanout_interval: float = 0.5  # two edits a second, each to every subscriber
    read_variants: int = 500
    captured_requests: int = 40


QUICK = Plan(businesses=10_000, reviews=100_000, events=200_000, seconds=2, concurrency=(1, 20, 100),
             subscribers=(1000,), fanout_events=10)
FULL = Plan(businesses=1_000_000, reviews=10_000_000, events=2_000_000, seconds=10,
            concurrency=(1, 20, 100), subscribers=(1000, 5000, 10000), fanout_events=20)


def machine() -> dict[str, Any]:
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine())
    return {"cores": os.cpu_count(), "memory_gib": round(memory_kb / 1024 / 1024, 1), "cpu": model,
            "python": platform.python_version(), "shared": True}


async def requests_for(conn: Any, scenario: Scenario, plan: Plan, connections: int) -> list[Request]:
    # A write is sent once per request body: enough bodies for a fast run, none repeated.
    wanted = max(plan.read_variants, int(600 * plan.seconds * (1 + connections / 100))) if scenario.write \
        else plan.read_variants
    requests: list[Request] = await scenario.requests(conn, wanted)
    return requests


async def load(database_url: str, url: str, pid: int, bodies: list[Request], connections: int,
               seconds: float) -> dict[str, Any]:
    """One autocannon run, after the database has gone quiet (a previous load's requests
    still being answered would be counted against this one)."""
    waited = await settle(database_url)
    with measured(pid) as usage:
        result = run_autocannon(url, bodies, connections, seconds)
    return result | usage[0].__dict__ | {"settled_after_s": waited}


async def run(quick: bool) -> Path:
    plan = QUICK if quick else FULL
    ensure_node_tools()
    started = datetime.datetime.now(datetime.UTC)
    # Named by start time: a second run on one day must not overwrite the first.
    path = RESULTS / f"{started.strftime('%Y-%m-%dT%H%M')}{'-quick' if quick else ''}.json"
    results: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "quick": quick,
                               "machine": machine(), "plan": plan.__dict__, "scenarios": {}, "fanout": []}
    async with bench_database() as database_url:
        results["dataset_build"] = await grow(database_url, plan.businesses, plan.reviews, plan.events)
        conn = await connect(database_url, application_name="bench")
        try:
            results["dataset"] = await counts(conn) | {
                "view_events": await conn.fetchval("select count(*) from business_view_events")}
            results["database"] = await conn.fetchval("select version()")
            bodies: dict[tuple[str, int], list[Request]] = {}
            with this_server(database_url) as server:
                for scenario in SCENARIOS:
                    entry = results["scenarios"].setdefault(scenario.name, {"title": scenario.title, "runs": {}})
                    for c in plan.concurrency:
                        bodies[scenario.name, c] = await requests_for(conn, scenario, plan, c)
                        print(f"bench: {scenario.name} this server, {c} connections", flush=True)
                        entry["runs"].setdefault(str(c), {})["server"] = await load(
                            database_url, server.url, server.pid, bodies[scenario.name, c], c, plan.seconds)
                        save(results, path)
                for subscribers in plan.subscribers:
                    print(f"bench: S1 {subscribers} subscribers", flush=True)
                    await settle(database_url)
                    with measured(server.pid) as usage:
                        outcome = await fanout(server, database_url, subscribers, plan.fanout_events, plan.fanout_interval)
                    results["fanout"].append(outcome | usage[0].__dict__)
                    save(results, path)
            with postgraphile(database_url) as peer:
                for scenario in SCENARIOS:
                    if scenario.postgraphile is None:
                        continue
                    for c in plan.concurrency:
                        print(f"bench: {scenario.name} PostGraphile, {c} connections", flush=True)
                        results["scenarios"][scenario.name]["runs"][str(c)]["postgraphile"] = await load(
                            database_url, peer.url, peer.pid, scenario.postgraphile(bodies[scenario.name, c]), c,
                            plan.seconds)
                        save(results, path)
            async with capture_server(database_url) as capturer:
                for scenario in SCENARIOS:
                    wanted = plan.captured_requests + 3  # three warm the connection up
                    if scenario.write:
                        sample = await scenario.requests(conn, wanted)
                    else:
                        sample = bodies[scenario.name, plan.concurrency[0]][:wanted]
                    transactions = await capture(capturer, sample)
                    if scenario.replayable is not None:
                        transactions = await scenario.replayable(conn, transactions)
                    results["scenarios"][scenario.name]["sql"] = [q for q, _ in transactions[0]] if transactions else []
                    for c in plan.concurrency:
                        print(f"bench: {scenario.name} SQL limit, {c} connections", flush=True)
                        await settle(database_url)
                        results["scenarios"][scenario.name]["runs"][str(c)]["sql_limit"] = await replay(
                            database_url, transactions, c, plan.seconds, write=scenario.write)
                        save(results, path)
        finally:
            await conn.close()
    results["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    save(results, path)
    report.write_markdown(results, path)
    return path


def main(quick: bool) -> None:
    path = asyncio.run(run(quick))
    print(f"bench: wrote {path} and BENCHMARKS.md", flush=True)
