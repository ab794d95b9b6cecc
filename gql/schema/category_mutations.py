"""Mutations on categories (administrators)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import UNSET

from gql.context import Context
from gql.resolvers import category_writes as writes
from gql.resolvers.inputs import column_patch, input_id
from gql.resolvers.writes import perform
from gql.schema.category import Category
from gql.schema.user_error import UserError, payload

Info = strawberry.Info[Context, None]


@strawberry.input(description="On update, only the fields given change.")
class CategoryInput:
    name: str | None = UNSET
    slug: str | None = strawberry.field(default=UNSET, description="Derived from the name if absent.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="null: a top-level category.")
    description: str | None = UNSET
    icon: str | None = UNSET
    sort_order: int | None = UNSET
    active: bool | None = UNSET

    def to_columns(self) -> dict[str, Any]:
        parent: Any = self.parent_id
        if parent is not UNSET and parent is not None:
            parent = str(input_id(parent, "parentId"))
        return column_patch({
            "name": ("name", self.name), "slug": ("slug", self.slug), "parentId": ("parent_id", parent),
            "description": ("description", self.description), "icon": ("icon", self.icon),
            "sortOrder": ("sort_order", self.sort_order), "active": ("active", self.active),
        })


@strawberry.type
class CategoryPayload:
    category: Category | None
    errors: list[UserError]


@strawberry.type
class CategoryMutations:
    @strawberry.mutation
    async def create_category(
        self, info: Info, input: CategoryInput, idempotency_key: str | None = None,
        client_id: str | None = None,
    ) -> CategoryPayload:
        return payload(CategoryPayload, Category.from_row, await perform(
            info.context, client_id,
            lambda: writes.create(info.context, input.to_columns(), idempotency_key)))

    @strawberry.mutation(description="Rename, move (parentId) or hide (active: false) a category.")
    async def update_category(
        self, info: Info, id: strawberry.ID, input: CategoryInput, client_id: str | None = None
    ) -> CategoryPayload:
        return payload(CategoryPayload, Category.from_row, await perform(
            info.context, client_id,
            lambda: writes.update(info.context, input_id(id, "id"), input.to_columns())))
