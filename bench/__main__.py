"""python -m bench <scenario> ...: measurements, not tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

import asyncpg

from bench.server import bench_database, bench_server
from gql.commands.seed import SeedOptions


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    realtime = commands.add_parser("realtime", help="S1: subscription fan-out latency and loss")
    realtime.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000, 10000])
    realtime.add_argument("--events", type=int, default=50)
    realtime.add_argument("--interval", type=float, default=0.1, help="seconds between writes")
    sockets = commands.add_parser("sockets", help="subscribers that never read; sockets that never init")
    sockets.add_argument("--stuck", type=int, default=100)
    sockets.add_argument("--changes", type=int, default=2000)
    sockets.add_argument("--silent", type=int, default=1000)
    run = commands.add_parser("run", help="every scenario, PostGraphile and the SQL limit; writes BENCHMARKS.md")
    run.add_argument("--quick", action="store_true", help="a small data set and 3 s loads: under 5 minutes")
    dataset = commands.add_parser("dataset", help="grow the bench database to this size (generated in SQL)")
    dataset.add_argument("--businesses", type=int, default=100_000)
    dataset.add_argument("--reviews", type=int, default=1_000_000)
    dataset.add_argument("--events", type=int, default=0, help="analytics view events over 90 days")
    webhooks = commands.add_parser("webhooks", help="webhook events/s draining a backlog; lag at a steady rate")
    webhooks.add_argument("--backlog", type=int, default=2000)
    webhooks.add_argument("--rate", type=int, default=20)
    webhooks.add_argument("--seconds", type=float, default=30)
    search = commands.add_parser("search", help="search, nearby, autocomplete: p50/p95 at SQL and GraphQL")
    search.add_argument("--samples", type=int, default=200)
    analytics = commands.add_parser("analytics", help="90-day report p95 at N events; recordBusinessView rate")
    analytics.add_argument("--events", type=int, default=10_000_000)
    analytics.add_argument("--samples", type=int, default=200)
    analytics.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.command == "run":
        from bench.run import main as run_main

        run_main(args.quick)
        return

    async def realtime_run() -> None:
        from bench.processes import ensure_node_tools, this_server
        from bench.realtime import fanout

        ensure_node_tools()
        async with bench_database() as url:
            with this_server(url) as server:
                for n in args.subscribers:
                    result = await fanout(server, url, n, args.events, args.interval)
                    print(json.dumps(result), flush=True)

    async def sockets_run() -> None:
        from bench.processes import this_server
        from bench.sockets import silent_sockets, stuck_subscribers

        async with bench_database() as url:
            with this_server(url) as server:
                print(json.dumps(await stuck_subscribers(server, url, args.stuck, args.changes)), flush=True)
                print(json.dumps(await silent_sockets(server, url, args.silent, 10)), flush=True)

    async def dataset_run() -> None:
        from bench.dataset import grow

        async with bench_database() as url:
            print(json.dumps(await grow(url, args.businesses, args.reviews, args.events), indent=1), flush=True)

    async def search_run() -> None:
        from bench import search as search_bench

        async with bench_server(SeedOptions(businesses=1000, reviews=5000)) as server:
            conn = await asyncpg.connect(server.database_url)
            size = {"businesses": await conn.fetchval("select count(*) from businesses"),
                    "reviews": await conn.fetchval("select count(*) from business_reviews")}
            await conn.close()
            result = await search_bench.run(server.database_url, server.url, args.samples)
            print(json.dumps({"data": size, **result}, indent=1), flush=True)

    async def analytics_run() -> None:
        from bench import analytics as analytics_bench

        async with bench_server(SeedOptions(businesses=1000, reviews=5000)) as server:
            conn = await asyncpg.connect(server.database_url)
            try:
                have = await conn.fetchval("select count(*) from business_view_events")
                generated = (await analytics_bench.generate_events(conn, args.events - have)
                             if have < args.events else {"events": have, "generated": 0})
                latency = await analytics_bench.report_latency(conn, args.samples)
                ids = [str(r["id"]) for r in await conn.fetch(
                    "select id from businesses where status = 'active' and deleted_at is null limit 500")]
            finally:
                await conn.close()
            rate = await analytics_bench.view_rate(server.url, ids, args.seconds, concurrency=20)
            print(json.dumps({"events": generated, "report_90_days": latency, "record_view": rate}, indent=1))

    async def webhooks_run() -> None:
        import dataclasses

        from bench import webhooks as webhook_bench
        from gql.settings import Settings

        base = Settings.from_env()
        settings = dataclasses.replace(base, webhooks=dataclasses.replace(base.webhooks, allow_private=True))
        async with bench_server(SeedOptions(businesses=1000, reviews=5000), settings) as server:
            result = await webhook_bench.run(server.url, server.database_url, args.backlog, args.rate, args.seconds)
            print(json.dumps(result, indent=1), flush=True)

    runs = {"realtime": realtime_run, "sockets": sockets_run, "dataset": dataset_run, "search": search_run,
            "analytics": analytics_run, "webhooks": webhooks_run}
    asyncio.run(runs[args.command]())


if __name__ == "__main__":
    main()
