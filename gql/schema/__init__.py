"""The GraphQL schema: types per domain, root operations, and the extensions around them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import strawberry
from strawberry.extensions import MaskErrors, SchemaExtension

from gql.context import Context
from gql.errors import is_for_client
from gql.schema.query import Query


class RequestTransaction(SchemaExtension):
    """Ends the request's transaction once the operation has run (rule 4)."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            result = self.execution_context.result
            failed = bool(result is not None and getattr(result, "errors", None))
            await context.db.finish(commit=not failed)


class SqlStatementCount(SchemaExtension):
    """With GQL_DEBUG_SQL=1: `extensions.sqlStatements`, the statements the resolvers sent."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if isinstance(context, Context):
            return {"sqlStatements": context.db.statements}
        return {}


def masked_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=lambda error: not is_for_client(error))


def build_schema(*, debug_sql: bool = False) -> strawberry.Schema:
    extensions: list[Any] = [masked_errors, RequestTransaction]
    if debug_sql:
        extensions.append(SqlStatementCount)
    return strawberry.Schema(query=Query, extensions=extensions)
