"""The schema extension that answers HTTP queries with one compiled statement when it can,
and leaves everything else to the interpreter (Strawberry with its dataloaders)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from graphql import ExecutionResult
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from gql.compiled.compiler import NotCompiled
from gql.compiled.fast_path import REFUSED
from gql.compiled.plans import compiled_names, planned
from gql.context import Context
from gql.edge.document_cache import DOCUMENTS
from gql.postgres.outage import DatabaseUnavailable
from gql.user_errors import from_postgres

log = logging.getLogger(__name__)


class RawJSON(str):
    """JSON text made by PostgreSQL: goes into the response body as it is."""


class CompiledReads(SchemaExtension):
    """With report (GQL_DEBUG_SQL=1), `extensions.executor` says `compiled`, or
    `interpreted: <why not compiled>`."""

    def __init__(self, *, report: bool = False) -> None:
        self.report = report
        self.executor = "interpreted"

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and isinstance(context.request, Request) \
                and context.settings.compiled_reads and self.execution_context.result is None:
            await self._answer(context)
        yield

    async def _answer(self, context: Context) -> None:
        execution = self.execution_context
        assert execution.graphql_document is not None
        refused = getattr(context.request.state, REFUSED, None)
        if refused is not None:  # by the front's try of this very statement (fast_path.py)
            self.executor = f"interpreted: the compiled statement was refused ({refused})"
            return
        assert execution.query is not None
        try:
            found = planned(execution.schema._schema, execution.graphql_document, execution.query,
                            execution.operation_name, execution.variables)
        except Exception as exc:  # a gap in the compiler must never become the client's error
            log.exception("the compiler failed on a document; interpreting it")
            self.executor = f"interpreted: the compiler failed ({type(exc).__name__})"
            return
        if isinstance(found, NotCompiled):
            self.executor = f"interpreted: {found}"
            return
        statement = found
        try:
            data = await context.db.run_compiled(statement.sql, statement.params, writes=statement.writes)
        except Exception as exc:  # never the client's error: the interpreter answers instead,
            # with its own errors (503 for an outage, masking for the rest) if it fails too
            if statement.writes and not isinstance(exc, asyncpg.PostgresError):
                # A recorder's write may have landed: answered as unavailable, not run twice.
                unavailable = exc if isinstance(exc, DatabaseUnavailable) else DatabaseUnavailable()
                execution.result = ExecutionResult(data=None, errors=[unavailable])
                self.executor = "compiled: the write's outcome is unknown"
                return
            if isinstance(exc, asyncpg.PostgresError) and from_postgres(exc) is not None:
                # A refusal of the SQL (businessAnalytics of a business you do not run): the
                # interpreter meets it again and reports it as the client's error.
                self.executor = f"interpreted: the compiled statement was refused ({exc.sqlstate})"
                return
            log.warning("a compiled read failed (%s); interpreting it", type(exc).__name__)
            self.executor = f"interpreted: the compiled statement failed ({type(exc).__name__})"
            return
        if data is None:  # (a query's statement always makes an object)
            self.executor = "interpreted: the compiled statement made nothing"
            return
        execution.result = ExecutionResult(data=RawJSON(data))  # type: ignore[arg-type]
        self.executor = "compiled on the replica" if context.db.served_by_replica else "compiled"
        DOCUMENTS.note_compiled(execution.query, execution.graphql_document,
                                compiled_names(execution.operation_name, execution.graphql_document))

    def get_results(self) -> dict[str, Any]:
        return {"executor": self.executor} if self.report else {}
