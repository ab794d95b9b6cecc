"""The operators' report (administrators only): db/functions/89_operations_report.sql."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from gql.errors import BadArgument
from gql.resolvers.analytics import read_report

MAX_STATEMENTS = 100


@strawberry.type(description="A statement by mean time: its query id (pg_stat_statements) and the api "
                             "functions it calls; its text is not shown.")
class SlowStatement:
    query_id: str
    functions: list[str]
    calls: int
    mean_ms: float
    total_ms: float
    rows: int


@strawberry.type
class IndexUsage:
    table: str
    index: str
    scans: int
    size_bytes: int


@strawberry.type(description="Dead rows are those vacuum has not reclaimed yet: a bloat estimate.")
class TableStats:
    table: str
    live_rows: int
    dead_rows: int
    size_bytes: int
    last_autovacuum: datetime | None


@strawberry.type
class ConnectionCount:
    application: str
    state: str
    count: int


@strawberry.type
class OperationsReport:
    statement_statistics: bool = strawberry.field(
        description="False when pg_stat_statements is not loaded (slowStatements is then empty).")
    slow_statements: list[SlowStatement]
    indexes: list[IndexUsage] = strawberry.field(description="Least used first.")
    tables: list[TableStats] = strawberry.field(description="Largest first.")
    connections: list[ConnectionCount]


async def operations_report(info: Info, limit: int) -> OperationsReport:
    if not 1 <= limit <= MAX_STATEMENTS:
        raise BadArgument("limit", f"must be between 1 and {MAX_STATEMENTS}")
    r: dict[str, Any] = await read_report(info.context.db, "select api.operations_report($1)", limit)
    return OperationsReport(
        statement_statistics=r["statement_statistics"],
        slow_statements=[SlowStatement(**s) for s in r["slow_statements"]],
        indexes=[IndexUsage(**i) for i in r["indexes"]],
        tables=[TableStats(table=t["table"], live_rows=t["live_rows"], dead_rows=t["dead_rows"],
                           size_bytes=t["size_bytes"], last_autovacuum=_moment(t["last_autovacuum"]))
                for t in r["tables"]],
        connections=[ConnectionCount(**c) for c in r["connections"]])


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
