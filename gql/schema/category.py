"""Categories: a tree with parents, children, ancestors and the businesses under them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import asyncpg
import strawberry

from gql.context import Context
from gql.entities.category import CATEGORIES
from gql.resolvers import businesses as business_resolvers
from gql.resolvers import categories as resolvers
from gql.schema.columns import column_fields
from gql.schema.connection import Connection
from gql.schema.enums import BusinessOrder

if TYPE_CHECKING:
    from gql.schema.business import Business

BusinessRef = Annotated["Business", strawberry.lazy("gql.schema.business")]


@strawberry.type
@column_fields(CATEGORIES)
class Category:
    id: strawberry.ID
    _id: strawberry.Private[UUID]
    _parent_id: strawberry.Private[UUID | None]
    _path: strawberry.Private[list[UUID]]
    _slug: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Category:
        return cls(
            **CATEGORIES.values(row), id=strawberry.ID(str(row["id"])), _id=row["id"],
            _parent_id=row["parent_id"], _path=list(row["path"]), _slug=row["slug"],
        )

    @strawberry.field
    async def parent(self, info: strawberry.Info[Context, None]) -> Category | None:
        row = await resolvers.by_id(info.context, self._parent_id)
        return None if row is None else Category.from_row(row)

    @strawberry.field
    async def children(self, info: strawberry.Info[Context, None]) -> list[Category]:
        return [Category.from_row(r) for r in await resolvers.children(info.context, self._id)]

    @strawberry.field(description="From the top-level category down to this one's parent.")
    async def ancestors(self, info: strawberry.Info[Context, None]) -> list[Category]:
        return [Category.from_row(r) for r in await resolvers.ancestors(info.context, self._path)]

    @strawberry.field(description="Listed businesses here or in any sub-category.")
    async def businesses(
        self, info: strawberry.Info[Context, None], first: int = 20, after: str | None = None,
        order_by: BusinessOrder = BusinessOrder.NAME,
    ) -> Connection[BusinessRef]:
        from gql.schema.business import Business

        flt = business_resolvers.BusinessFilter(category_slug=self._slug)
        page = await business_resolvers.business_page(info.context, flt, order_by.value, first, after)
        return Connection.from_page(
            page, Business.from_row, lambda: business_resolvers.business_count(info.context, flt)
        )


def maybe_category(row: asyncpg.Record | None) -> Category | None:
    return None if row is None else Category.from_row(row)
