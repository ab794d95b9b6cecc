"""Analytics: recording views and clicks, and an owner's report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from gql.context import Context
from gql.database import RequestDatabase
from gql.errors import BadArgument, refusals_as_errors
from gql.resolvers.writes import call

DEFAULT_WINDOW_DAYS = 30
TICK_SECONDS = 1.0  # live analytics: at most one event a second per subscription
MAX_WINDOW_DAYS = 366
EARLIEST_DAY = date(2000, 1, 1)
"""Windows lie within the directory's lifetime: nothing was recorded before this day."""


async def record_view(ctx: Context, business_id: UUID, visitor_id: str, referrer: str | None,
                      time_on_page: int | None, bounced: bool, client_event_id: str | None) -> bool:
    row = await call(ctx, "select api.record_business_view($1, $2, $3, $4, $5, $6) as counted",
                     business_id, visitor_id, referrer,
                     time_on_page, bounced, client_event_id)
    return bool(row and row["counted"])


async def record_click(ctx: Context, business_id: UUID, visitor_id: str, kind: str,
                       client_event_id: str | None) -> bool:
    row = await call(ctx, "select api.record_business_click($1, $2, $3, $4) as counted",
                     business_id, visitor_id, kind,
                     client_event_id)
    return bool(row and row["counted"])


def window(start: date | None, end: date | None) -> tuple[date, date]:
    """[start, end] in UTC days: the last 30 days by default, at most 366 days long."""
    end = end or datetime.now(UTC).date()
    if end < EARLIEST_DAY:
        raise BadArgument("to", f"must be on or after {EARLIEST_DAY}")
    start = start or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if start > end:
        raise BadArgument("from", f"({start}) is after `to` ({end})")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise BadArgument("to", f"makes a window longer than {MAX_WINDOW_DAYS} days")
    latest = datetime.now(UTC).date() + timedelta(days=1)
    if start < EARLIEST_DAY:
        raise BadArgument("from", f"must be on or after {EARLIEST_DAY}")
    if end > latest:
        raise BadArgument("to", f"must be on or before {latest} (tomorrow, UTC)")
    return start, end


async def read_report(db: RequestDatabase, query: str, *args: Any) -> dict[str, Any]:
    """One report function; its UserErrors become GraphQL errors (this is a query)."""
    with refusals_as_errors():
        result: dict[str, Any] = await db.fetchval(query, *args)
    return result


async def report(ctx: Context, business_id: UUID, start: date, end: date) -> dict[str, Any]:
    return await read_report(ctx.db, "select api.business_analytics($1, $2, $3)", business_id, start, end)


async def platform_report(ctx: Context, start: date, end: date) -> dict[str, Any]:
    return await read_report(ctx.db, "select api.platform_stats($1, $2)", start, end)


async def analytics_now(ctx: Context, business_id: UUID) -> dict[str, Any]:
    """Today's figures, read in a unit of work of their own (a subscription outlives any one)."""
    async with ctx.unit_of_work(commit=False) as operation:
        return await read_report(operation.db, "select api.analytics_now($1)", business_id)
