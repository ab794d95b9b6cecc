"""How each list is ordered, written once: for every order of a list, its sort key (the ORDER
BY columns of the SQL function that reads the list, id last), and for every sort-key column
how a cursor's value is parsed back. Cursors are made and read only through these
descriptions (gql/resolvers/paging.py holds the cursor format itself)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from gql.resolvers.paging import Page, decode_cursor, make_page

R = TypeVar("R")  # a row: anything indexed by column name (an asyncpg Record)

# Every sort-key column of every list, with the type its cursor value parses to.
COLUMN_TYPES: dict[str, Callable[[Any], Any]] = {
    "id": UUID, "name": str, "rating_avg": Decimal, "review_count": int,
    "created_at": datetime.fromisoformat, "rank": float, "distance_meters": float,
    "rating": int, "helpful_count": int,
}


@dataclass(frozen=True)
class Ordering:
    """The orders of one list and their sort keys."""

    sort_keys: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        for order, columns in self.sort_keys.items():
            assert columns[-1] == "id", f"{order}: id must be the last sort-key column"
            assert all(c in COLUMN_TYPES for c in columns), f"{order}: a column without a type"

    def key_of(self, row: Any, order: str) -> list[Any]:
        return [row[column] for column in self.sort_keys[order]]

    def after(self, cursor: str | None, order: str) -> list[Any] | None:
        """The sort key a cursor of `order` resumes after (a bad cursor: BadArgument)."""
        return decode_cursor(cursor, order, [COLUMN_TYPES[c] for c in self.sort_keys[order]])

    def page(self, rows: Sequence[R], first: int, order: str, after_given: bool) -> Page[R]:
        return make_page(rows, first, order, after_given, lambda r: self.key_of(r, order))


# api.business_page
BUSINESSES = Ordering({
    "NAME": ("name", "id"),
    "RATING": ("rating_avg", "review_count", "id"),
    "REVIEW_COUNT": ("review_count", "rating_avg", "id"),
    "NEWEST": ("created_at", "id"),
})

# api.search_businesses (DISTANCE is also api.nearby_businesses' one order)
SEARCH_RESULTS = Ordering({
    "BEST_MATCH": ("rank", "id"),
    "DISTANCE": ("distance_meters", "id"),
    "RATING": ("rating_avg", "review_count", "id"),
    "REVIEW_COUNT": ("review_count", "rating_avg", "id"),
})

# api.review_pages
REVIEWS = Ordering({
    "NEWEST": ("created_at", "id"),
    "OLDEST": ("created_at", "id"),
    "HIGHEST_RATING": ("rating", "created_at", "id"),
    "LOWEST_RATING": ("rating", "created_at", "id"),
    "MOST_HELPFUL": ("helpful_count", "created_at", "id"),
})

# Item pages (not connections), each by (a time, an id) with its own cursor kind:
MINE_ORDER = "mine"
"""api.my_businesses: newest first."""
CLAIMS_ORDER = "claims"
"""api.business_claims: pending ones oldest first, decided ones newest first."""
QUEUE_ORDER = "waiting"
"""api.moderation_queue: the longest waiting first."""
