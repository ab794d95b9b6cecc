"""The short way for a compiled read (or analytics recorder) whose document the server has
seen before.

A POST whose document was parsed, validated (every rule and limit of the schema) and compiled
by an earlier request is answered here without Strawberry: the variables get the same text
checks, the statement comes from the plan cache (or the compiler), and PostgreSQL's JSON goes
out as the body. Whenever anything is not exactly that case (a new document, persisted-query
extensions, GET, the allow-list mode, a variable the compiler or the checks refuse, a failed
statement) the request takes the ordinary way, which then answers it, errors included. The
differential test runs every document as five roles: all but the first take this path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg
from graphql import GraphQLSchema, get_operation_ast
from starlette.responses import Response

from gql.compiled.compiler import NotCompiled
from gql.compiled.plans import planned
from gql.database import RequestDatabase
from gql.edge.document_cache import DOCUMENTS
from gql.edge.graphql_http import error_response, negotiate
from gql.edge.text_inputs import variable_problem
from gql.observability.metrics import note_operation
from gql.postgres.outage import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, DatabaseUnavailable
from gql.settings import Settings

REFUSED = "compiled_refused"
"""The request state's key for the SQLSTATE of a compiled statement the database refused here."""

if TYPE_CHECKING:
    from gql.postgres.replica import ReplicaRouter


async def answer(body: dict[str, Any], schema: GraphQLSchema, settings: Settings, pool: asyncpg.Pool,
                 state: dict[str, Any], client_id: str | None, accept: str | None,
                 replica: ReplicaRouter | None = None, read_after: str | None = None) -> Response | None:
    """The response, or None: then the ordinary way answers. `state` is the request's scope
    state: the identity comes from it, and the operation is noted in it (gql/observability/metrics.py)."""
    query, operation_name, variables = body.get("query"), body.get("operationName"), body.get("variables")
    if not isinstance(query, str) or "extensions" in body or settings.persisted_documents != "apq":
        return None
    document = DOCUMENTS.compiled(query, operation_name if isinstance(operation_name, str) else None)
    if document is None:
        return None
    if any(variable_problem(value, f"${name}") for name, value in (variables or {}).items()):
        return None
    try:
        statement = planned(schema, document, query, operation_name, variables)
    except Exception:  # a gap in the compiler: the ordinary way decides (and logs it)
        return None
    if isinstance(statement, NotCompiled):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is not None:
        note_operation(state, operation.name.value if operation.name else None, operation.operation.value)
    db = RequestDatabase(pool, state["identity"], client_id=client_id,
                         acquire_timeout=settings.limits.pool_acquire_timeout_seconds,
                         replica=replica, read_after=read_after)
    try:
        data = await db.run_compiled(statement.sql, statement.params, writes=statement.writes)
    except asyncpg.PostgresError as exc:
        # Refused by the database, nothing written: the ordinary way answers, interpreted (the
        # same statement would only be refused again).
        state[REFUSED] = exc.sqlstate
        return None
    except Exception:
        if statement.writes:  # it may have been written: never twice (no retry of a recorder)
            return error_response(503, DatabaseUnavailable().message, code=SERVICE_UNAVAILABLE, accept=accept,
                                  headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return None
    if data is None:  # (a query's statement always makes an object)
        return None
    executor = "compiled on the replica" if db.served_by_replica else "compiled"
    extensions = f',"extensions":{{"sqlStatements":1,"executor":"{executor}"}}' if settings.debug_sql else ""
    return Response('{"data":' + data + extensions + "}", media_type=negotiate(accept))
