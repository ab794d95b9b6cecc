"""The GraphQL schema: types per domain, root operations, and the extensions around them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql.compiled.extension import CompiledReads
from gql.context import Context, Operation, enter_operation, leave_operation
from gql.edge.document_cache import DOCUMENTS, DocumentCache
from gql.edge.persisted_documents import TrustedDocumentsOnly
from gql.edge.text_inputs import TextLiterals, TextVariables
from gql.observability.metrics import NOT_EXECUTED, note_operation
from gql.observability.tracing import graphql_extension
from gql.postgres.outage import DatabaseUnavailable
from gql.schema.changes import Subscription
from gql.schema.document_cost import DocumentCost
from gql.schema.error_reporting import (
    UNEXPECTED_ERROR,
    ClientSafeErrors,
    ErrorReportingSchema,
    request_id,
)
from gql.schema.mutation import Mutation
from gql.schema.query import Query
from gql.schema.shared_events import SharedEventExecutor

log = logging.getLogger(__name__)


class OperationTransaction(SchemaExtension):
    """One transaction and fresh loaders per operation (rules 4 and 6). It ends as soon as
    the operation's result is complete and before anything is sent (over WebSocket, the
    result goes out while the operation is still open): a client never sees a result whose
    commit then failed, and one that reads slowly holds no connection. A subscription's
    events each have their own (SharedEventExecutor). With report_statements,
    `extensions.sqlStatements` tells how many SQL statements the resolvers sent
    (GQL_DEBUG_SQL=1)."""

    def __init__(self, *, report_statements: bool = False) -> None:
        self.report_statements = report_statements
        self.operation: Operation | None = None

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            yield
            return
        self.operation = context.start_operation()
        token = enter_operation(self.operation)
        try:
            yield
        finally:
            try:
                await self._finish()  # when execution never ran (a refused document)
            finally:
                leave_operation(token)

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        await self._finish()

    async def _finish(self) -> None:
        if self.operation is None:
            return
        result = self.execution_context.result
        failed = bool(result is not None and getattr(result, "errors", None))
        context = self.execution_context.context
        if failed and self.operation.db.met_code_layer_change and isinstance(context, Context):
            context.met_code_layer_change = True
        try:
            await self.operation.db.finish(commit=not failed)
            if isinstance(context, Context) and self.operation.db.written_at is not None:
                context.written_at = self.operation.db.written_at
        except DatabaseUnavailable:
            raise  # the commit's fate is unknown: the client must not take it as done
        except Exception as exc:  # raised past the error masking: mask it here
            rid = request_id(self.execution_context)
            log.exception("ending the operation's transaction failed (request %s)", rid)
            raise GraphQLError(UNEXPECTED_ERROR, extensions={"code": "INTERNAL_SERVER_ERROR",
                                                             "requestId": rid}) from exc

    def get_results(self) -> dict[str, Any]:
        if self.report_statements and self.operation is not None:
            return {"sqlStatements": self.operation.db.statements}
        return {}


class OperationLabel(SchemaExtension):
    """Notes an HTTP request's operation name and type for its latency (gql/observability/metrics.py)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and isinstance(context.request, Request):
            try:
                kind = self.execution_context.operation_type.value
            except Exception:  # no such operation: execution itself then says so
                kind = NOT_EXECUTED
            note_operation(context.request.scope.setdefault("state", {}),
                           self.execution_context.operation_name, kind)
        yield


# Bounds on what one document may ask for, so a single request cannot exhaust the server:
# tokens when parsing; depth, aliases and selections after fragment expansion when validating.
MAX_TOKENS = 5000


class DirectorySchema(ErrorReportingSchema):
    async def execute(self, query: str | None, variable_values: dict[str, Any] | None = None,
                      context_value: Any | None = None, root_value: Any | None = None,
                      operation_name: str | None = None,
                      allowed_operation_types: Iterable[OperationType] | None = None,
                      operation_extensions: dict[str, Any] | None = None) -> ExecutionResult:
        """One result for one request: a subscription is never run this way (Strawberry would
        run its root as a query and fail on the null). It is served by `subscribe` (WebSocket)
        and `stream` (HTTP streams); here it is refused (InvalidOperationTypeError)."""
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES)
        allowed.discard(OperationType.SUBSCRIPTION)
        return await super().execute(query, variable_values, context_value, root_value, operation_name,
                                     allowed, operation_extensions)


def build_schema(*, debug_sql: bool = False, tracing: bool = False, introspection: bool = True,
                 max_batch: int = 10) -> strawberry.Schema:
    extensions: list[Any] = [graphql_extension()] if tracing else []
    rules: list[Any] = [DocumentCost, TextLiterals]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions += [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: DocumentCache(DOCUMENTS),
        TextVariables,  # after the cache, which sets the document's own validation errors
        TrustedDocumentsOnly,
        ClientSafeErrors,
        OperationLabel,
        lambda: OperationTransaction(report_statements=debug_sql),
        lambda: CompiledReads(report=debug_sql),
    ]
    return DirectorySchema(query=Query, mutation=Mutation, subscription=Subscription,
                           extensions=extensions, execution_context_class=SharedEventExecutor,
                           config=StrawberryConfig(batching_config={"max_operations": max_batch}))
