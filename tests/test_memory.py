"""Distinct documents do not grow the server's memory without bound (issue 27, item 2).

Every document a client sends for the first time is parsed, validated and compiled, and
what that makes is kept for the next request with the same text. A client that makes
every document distinct (a random operation name or alias) must not be able to grow the
process: the caches are bounded by what their entries really hold in memory.

The server is `python -m gql serve` in a process of its own, over real HTTP, and its
resident set is read from /proc/PID/status. The load is cheap on purpose: small business
queries, each distinct by its operation name and alias, sent over keep-alive connections by
a bare HTTP/1.1 client (an httpx client costs more CPU than the server on 2 cores).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from graphql import parse, specified_rules
from strawberry.schema.schema import validate_document

from gql.compiled import plans
from gql.edge.document_cache import Documents, Entry, entry_bytes
from gql.edge.text_inputs import TextLiterals
from gql.schema import build_schema
from gql.schema.document_cost import DocumentCost
from tests.support import serve_in_subprocess

FULL = int(os.environ.get("GQL_MEMORY_DOCUMENTS") or 0)
"""GQL_MEMORY_DOCUMENTS=100000: the issue's run, with the default cache limits (8 minutes on
2 shared cores: ~200 new documents a second, each parsed, validated and compiled; too slow
for the suite). Unset: 20,000 documents against caches limited to 2 MB and 1 MB, which fill
after ~1,100 documents and are then pushed out ~20 times over (plans) to ~100 times over
(documents): the same code, bounded sooner, in about a minute."""
DOCUMENTS = FULL or 20_000
WARM_UP = 25_000 if FULL else 2_000
"""Enough distinct documents to fill every cache (the plans' at the default 16 MB, ~18,000
plans of this document, fills last) before the plateau is measured."""
CACHES = {} if FULL else {"GQL_DOCUMENT_CACHE_BYTES": str(2 * 1024 * 1024),
                          "GQL_PLAN_CACHE_BYTES": str(1024 * 1024)}
CONNECTIONS = 16
CHECK_EVERY = 5_000 if FULL else 1_000
PLATEAU_MB = 16
"""Growth allowed after the warm-up, when every cache is full and only pushes out: allocator
slack and fragmentation. Before the fix, the server grew by ~7 MB every 1,000 documents."""
TOTAL_MB = 72 if FULL else 20
"""Growth allowed from the idle server (after 1,000 documents) to the end: the caches'
bounds (56 MB by default, as charged; 3 MB in the short run) and the same slack.

Measured after the fix: 105 MB after 1,000 documents, 105 MB at 20,000 (short run); 109 MB
after 1,000, 137 MB at 25,000 and 138 MB at 100,000 (full run). Before it: 110 MB after
1,000 documents, 237 MB at 20,000, 272 MB at 25,000."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def document(n: int) -> str:
    """A small business query, distinct by operation name and alias (the red team's shape)."""
    return f'query Op{n:x}z {{ b{n:x}: business(slug: "no-such-business") {{ name rating }} }}'


class Connection:
    """One keep-alive HTTP/1.1 connection sending GraphQL POSTs, one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, port: int, body: bytes) -> tuple[int, bytes]:
        self.writer.write(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                          b"Accept: application/json\r\nContent-Length: %d\r\n\r\n%s" % (port, len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def send(port: int, numbers: Iterator[int], count: int) -> None:
    """`count` documents, numbered from `numbers`, over CONNECTIONS connections at once;
    every answer must be the document's own (data for its alias, no errors)."""
    batch = iter(list(itertools.islice(numbers, count)))

    async def worker() -> None:
        connection = await Connection.open(port)
        try:
            for n in batch:  # shared: each number is taken by one worker
                status, body = await connection.post(port, json.dumps(
                    {"query": document(n), "operationName": f"Op{n:x}z"}).encode())
                assert status == 200 and json.loads(body) == {"data": {f"b{n:x}": None}}, (status, body[:300])
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


SHAPES: dict[str, Callable[[int], str]] = {
    "small": document,
    "connection": lambda n: (f"query Op{n} {{ a{n}: businesses(first: 5, orderBy: RATING) {{ totalCount edges {{ cursor node {{ "
                             "name rating address { city } primaryCategory { name } } } pageInfo { hasNextPage } } }"),
    "1,000 fields": lambda n: f'query Op{n} {{ a{n}: business(slug: "x") {{ ' + " ".join(["name"] * 1000) + " } }",
    "40 errors": lambda n: f'query Op{n} {{ a{n}: business(slug: "x") {{ ' + " ".join(f"no{j}" for j in range(40)) + " } }",
    "long string": lambda n: f'query Op{n} {{ a{n}: business(slug: "{"x" * 2000}") {{ name }} }}',
    "fragments": lambda n: (f'query Op{n} {{ a{n}: business(slug: "x") {{ ...F ...G }} }} '
                            "fragment F on Business { name rating } fragment G on Business { slug }"),
}


def measured(keep: Callable[[str], int], texts: list[str]) -> tuple[float, float]:
    """(bytes held, bytes charged) an entry, over `texts` kept by `keep` (which returns the
    charge), as tracemalloc sees it once the garbage is collected."""
    texts = ["".join(list(text)) for text in texts]  # fresh strs, as request bodies make them
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        charged = sum(keep(text) for text in texts)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held / len(texts), charged / len(texts)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_what_a_cache_entry_is_charged_covers_what_it_holds(shape: str) -> None:
    """The estimates the caches are bounded by (gql/edge/document_cache.py,
    gql/compiled/plans.py) stay over what an entry really holds, should graphql-core's nodes or
    the compiler's statements grow."""
    schema = build_schema()._schema
    rules = [*specified_rules, DocumentCost, TextLiterals]
    documents = Documents(10**10)

    def keep_document(text: str) -> int:
        entry = Entry(parse(text, max_tokens=5000))
        entry.errors = validate_document(schema, entry.document, rules)
        documents.keep(text, entry, entry_bytes(text, entry))
        return entry_bytes(text, entry)

    texts = [SHAPES[shape](n) for n in range(40)]
    held, charged = measured(keep_document, texts)
    assert held < charged < 2.5 * held, (shape, held, charged)

    plans.PLANS.resize(10**10)
    try:
        def keep_plan(text: str) -> int:  # the plan and the entry naming its shape's variables
            entry = documents.get(text)
            assert entry is not None
            before = plans.PLANS.size
            plans.planned(schema, entry.document, text, None, None)
            return plans.PLANS.size - before

        held, charged = measured(keep_plan, texts)
        # (a parameter taken from the document, the long string, is shared with its tree:
        # charged to both, as either may outlive the other)
        assert held < charged and (charged < 2 * held or shape == "long string"), (shape, held, charged)
    finally:
        plans.PLANS.resize(plans.CACHE_BYTES)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status")
async def test_distinct_documents_leave_memory_bounded(seeded_url: str, tmp_path: Path) -> None:
    from tests.test_cli import free_port

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = await serve_in_subprocess(port, {
        # (the data directory, and so the data key, is the test session's: the database is shared)
        **os.environ, "DATABASE_URL": seeded_url,
        "JWT_SECRET": "test-secret-for-the-memory-test-0123456789", "LOG_LEVEL": "WARNING", **CACHES,
    }, args=("--no-seed",), output=log)
    try:
        numbers = itertools.count()
        await send(port, numbers, 1_000)  # every code path imported and run once
        idle = rss_mb(process.pid)
        await send(port, numbers, WARM_UP - 1_000)
        warm = rss_mb(process.pid)
        seen = [(WARM_UP, warm)]
        for sent in range(WARM_UP + CHECK_EVERY, DOCUMENTS + 1, CHECK_EVERY):
            await send(port, numbers, CHECK_EVERY)
            seen.append((sent, rss_mb(process.pid)))
            report = (f"RSS {idle:.0f} MB after 1,000 documents, then "
                      + ", ".join(f"{mb:.0f} MB at {n:,}" for n, mb in seen))
            print(report)
            # Stops at the first check past a bound (unbounded, ~7 MB every 1,000 documents).
            assert seen[-1][1] - warm <= PLATEAU_MB, report
            assert seen[-1][1] - idle <= TOTAL_MB, report
        assert seen[-1][0] == DOCUMENTS
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
