"""Keyset pagination: validated page sizes and opaque cursors.

A cursor is base64url JSON of the order it belongs to and the sort key of its row (the
ORDER BY columns, id last). SQL functions resume after that key; no OFFSET anywhere.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from gql.edge.plain_text import text_problem
from gql.errors import BadArgument

MAX_PAGE_SIZE = 100
MAX_KEY_TEXT = 1000
"""Longer than any text a list is sorted by (a name is at most 200 characters)."""

Row = TypeVar("Row")


def check_first(first: int, argument: str = "first") -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadArgument(argument, f"must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    return first


def check_page_size(first: int, argument: str = "first") -> int:
    """The size of a page of items (queues and lists that are not connections): 1 to 100."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadArgument(argument, f"must be between 1 and {MAX_PAGE_SIZE}")
    return first


def encode_cursor(order: str, key: Sequence[Any]) -> str:
    """The same text as SQL's api.page_cursor, so that both executors hand out equal cursors:
    jsonb's rendering of [order, key] (", " between items, non-ASCII as is), numbers that
    are not integers as strings, timestamps in ISO 8601 as PostgreSQL writes them in UTC."""
    raw = json.dumps([order, [_key_value(k) for k in key]], ensure_ascii=False, separators=(", ", ": "))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _key_value(value: Any) -> Any:
    if isinstance(value, float):  # as PostgreSQL writes a float8 (shortest form, no ".0")
        return repr(value).removesuffix(".0")
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | datetime):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def decode_cursor(cursor: str | None, order: str, key_types: Sequence[Callable[[Any], Any]],
                  argument: str = "after") -> list[Any] | None:
    """The sort key in `cursor`, checked to belong to `order` and to parse with key_types
    (so a tampered cursor is a clear error, not a failed SQL cast); None when no cursor."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded_order, key = json.loads(base64.urlsafe_b64decode(padded.encode()),
                                        parse_constant=_no_constant)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadArgument(argument, "is not a valid cursor") from None
    if decoded_order != order:
        raise BadArgument(argument, f"is a cursor for order {decoded_order}, not {order}")
    if not isinstance(key, list) or len(key) != len(key_types):
        raise BadArgument(argument, "is not a valid cursor")
    try:
        for parse, value in zip(key_types, key, strict=True):
            _check_key_value(value, parse)
            _check_storable(parse(value))
    except (ValueError, TypeError, ArithmeticError):
        raise BadArgument(argument, "is not a valid cursor") from None
    return key


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a cursor value")


def _check_key_value(value: Any, parse: Callable[[Any], Any]) -> None:
    """What encode_cursor writes: an integer for an integer column, else text (a forged cursor
    can hold any JSON)."""
    if parse is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an integer")
    elif not isinstance(value, str) or len(value) > MAX_KEY_TEXT or text_problem(value):
        raise TypeError("not a storable text")


def _check_storable(value: Any) -> None:
    """A sort key PostgreSQL can take: a bigint, a finite number."""
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        raise ValueError("out of range")
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise ValueError("not finite")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def make_page(rows: Sequence[Row], first: int, order: str, after_given: bool,
              sort_key: Callable[[Row], Sequence[Any]]) -> Page[Row]:
    """Rows were fetched with limit first + 1: the extra row only says there is more."""
    kept = list(rows[:first])
    return Page(
        rows=kept,
        cursors=[encode_cursor(order, sort_key(r)) for r in kept],
        has_next_page=len(rows) > first,
        has_previous_page=after_given,
    )
