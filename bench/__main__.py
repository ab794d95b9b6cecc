"""python -m bench <scenario> ...: measurements, not tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

from bench.server import bench_server
from gql.seed import SeedOptions


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    realtime = commands.add_parser("realtime", help="S1: subscription fan-out latency and loss")
    realtime.add_argument("--subscribers", type=int, nargs="+", default=[1, 100, 1000])
    realtime.add_argument("--events", type=int, default=100)
    realtime.add_argument("--interval", type=float, default=0.05, help="seconds between writes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    async def run() -> None:
        from bench.realtime import fanout

        async with bench_server(SeedOptions(businesses=200, reviews=500)) as server:
            for n in args.subscribers:
                result = await fanout(server, n, args.events, args.interval)
                print(json.dumps(result.as_dict()), flush=True)

    asyncio.run(run())


if __name__ == "__main__":
    main()
