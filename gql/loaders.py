"""Request-scoped DataLoaders: one SQL function call per batch, results in key order.

Created afresh for every request (and every subscription event), so nothing cached here
outlives the transaction and role it was read under (DESIGN rule 6).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Hashable, Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from gql.database import RequestDatabase
from gql.entities.business import BUSINESSES

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Record = asyncpg.Record

# The columns a Business is built from (not the search columns), and isOpenNow.
BUSINESS_COLUMNS = BUSINESSES.select_list("b")
BUSINESS_SELECT = "select " + BUSINESS_COLUMNS + " from {fn} b"


def by_key(keys: Sequence[K], rows: Iterable[Record], column: str) -> list[Record | None]:
    found = {row[column]: row for row in rows}
    return [found.get(key) for key in keys]


def grouped(keys: Sequence[K], rows: Iterable[Record], column: str) -> list[list[Record]]:
    groups: dict[Any, list[Record]] = defaultdict(list)
    for row in rows:
        groups[row[column]].append(row)
    return [groups.get(key, []) for key in keys]


ReviewPageKey = tuple[UUID, str, str | None, int]
"""(business id, order, sort key after which to start as JSON or None, rows to fetch)"""


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose futures are shared safely: a resolver cancelled while it waits (the
    executor cancels a failed field's siblings) must not cancel the future that other
    resolvers wait on too; that would end them with CancelledError and the request with a
    500."""

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


class Loaders:
    def __init__(self, db: RequestDatabase) -> None:
        self.db = db
        self.business_by_id = SharedLoader(self._businesses_by_id)
        self.business_by_slug = SharedLoader(self._businesses_by_slug)
        self.category_by_id = SharedLoader(self._categories_by_id)
        self.category_by_slug = SharedLoader(self._categories_by_slug)
        self.category_children = SharedLoader(self._category_children)
        self.review_by_id = SharedLoader(self._reviews_by_id)
        self.review_page = SharedLoader(self._review_pages)
        self.response_by_review = SharedLoader(self._responses_by_review)
        self.response_by_id = SharedLoader(self._responses_by_id)
        self.user_by_id = SharedLoader(self._users_by_id)
        self.service_areas = SharedLoader(self._service_areas)
        self.serves_point = SharedLoader(self._serves_point)

    async def _businesses_by_id(self, ids: list[UUID]) -> list[Record | None]:
        rows = await self.db.fetch(BUSINESS_SELECT.format(fn="api.businesses_by_id($1)"), ids)
        return by_key(ids, rows, "id")

    async def _businesses_by_slug(self, slugs: list[str]) -> list[Record | None]:
        rows = await self.db.fetch(BUSINESS_SELECT.format(fn="api.businesses_by_slug($1)"), slugs)
        return by_key(slugs, rows, "slug")

    async def _categories_by_id(self, ids: list[UUID]) -> list[Record | None]:
        return by_key(ids, await self.db.fetch("select * from api.categories_by_id($1)", ids), "id")

    async def _categories_by_slug(self, slugs: list[str]) -> list[Record | None]:
        rows = await self.db.fetch("select * from api.categories_by_slug($1)", slugs)
        return by_key(slugs, rows, "slug")

    async def _category_children(self, parent_ids: list[UUID]) -> list[list[Record]]:
        rows = await self.db.fetch("select * from api.category_children($1)", parent_ids)
        return grouped(parent_ids, rows, "parent_id")

    async def _reviews_by_id(self, ids: list[UUID]) -> list[Record | None]:
        return by_key(ids, await self.db.fetch("select * from api.reviews_by_id($1)", ids), "id")

    async def _review_pages(self, keys: list[ReviewPageKey]) -> list[list[Record]]:
        # Keys that share order, cursor and size go to the database together.
        batches: dict[tuple[str, str | None, int], list[UUID]] = defaultdict(list)
        for business_id, order, after, size in keys:
            batches[(order, after, size)].append(business_id)
        pages: dict[ReviewPageKey, list[Record]] = {}
        for (order, after, size), business_ids in batches.items():
            rows = await self.db.fetch(
                "select * from api.review_pages($1, $2, $3, $4)",
                business_ids, order, None if after is None else json.loads(after), size,
            )
            for business_id, page in zip(business_ids, grouped(business_ids, rows, "business_id"),
                                         strict=True):
                pages[(business_id, order, after, size)] = page
        return [pages[key] for key in keys]

    async def _responses_by_review(self, review_ids: list[UUID]) -> list[Record | None]:
        rows = await self.db.fetch("select * from api.responses_by_review($1)", review_ids)
        return by_key(review_ids, rows, "review_id")

    async def _responses_by_id(self, ids: list[UUID]) -> list[Record | None]:
        return by_key(ids, await self.db.fetch("select * from api.responses_by_id($1)", ids), "id")

    async def _service_areas(self, business_ids: list[UUID]) -> list[list[Record]]:
        rows = await self.db.fetch("select * from api.service_areas_of($1)", business_ids)
        return grouped(business_ids, rows, "business_id")

    async def _serves_point(self, keys: list[tuple[UUID, float, float]]) -> list[bool]:
        """Keys are (business id, latitude, longitude); one call per distinct point."""
        answers: dict[tuple[UUID, float, float], bool] = {}
        points = {(lat, lon) for _, lat, lon in keys}
        for lat, lon in points:
            ids = [k[0] for k in keys if (k[1], k[2]) == (lat, lon)]
            for row in await self.db.fetch("select * from api.businesses_serving($1, $2, $3)",
                                           ids, lat, lon):
                answers[(row["id"], lat, lon)] = row["serves"]
        return [answers.get(k, False) for k in keys]

    async def _users_by_id(self, ids: list[UUID]) -> list[Record | None]:
        return by_key(ids, await self.db.fetch("select * from api.user_profiles($1)", ids), "id")
