"""Relay-style connections: edges { cursor node }, pageInfo, totalCount."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from gql.resolvers.paging import Page

Node = TypeVar("Node")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list, all pages together.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def from_page(
        cls, page: Page[Any], to_node: Callable[[Any], Node],
        count: Callable[[], Awaitable[int]],
    ) -> Connection[Node]:
        return cls(
            edges=[Edge(cursor=c, node=to_node(r)) for r, c in zip(page.rows, page.cursors,
                                                                     strict=True)],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            _count=count,
        )
