"""What the compiled path keeps between requests: compiled statements (or why there is none)
by document, operation and variables, bounded by the memory they hold (gql/bounded_cache.py).
Which documents compiled is marked on the parsed documents' own cache
(gql/schema/document_cache.py), which holds each tree once."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode

from gql.bounded_cache import KEY_BYTES, BoundedCache, str_bytes
from gql.compiled.compiler import NotCompiled, Statement, compile_event, compile_query

CACHE_BYTES = 16 * 1024 * 1024
"""The default bound (GQL_PLAN_CACHE_BYTES): ~18,000 plans of a small business query."""
PLAN_BYTES = 200
"""A plan beyond its key and its strings: the Statement (or NotCompiled) and its list of
parameters. Measured (tracemalloc, 400 plans of each shape), a plan in all, key and strings
included: 740 bytes for a small business query, 1,390 with 5 parameters, 2,100-2,400 for a
search or a connection, 490 for a reason not to compile; plan_bytes() is 1.15-1.45 times that."""
PARAM_BYTES = 60
"""A parameter beyond its characters: its str and its slot in the list."""

PLANS: BoundedCache[Statement | NotCompiled] = BoundedCache(CACHE_BYTES)
"""Compiled statements (or the reason there is none) by document, operation and variables."""


def planned(schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None,
            variables: dict[str, Any] | None, *, event: bool = False) -> Statement | NotCompiled:
    """The statement for this document and these variables, or why there is none: compiled
    once, then kept. A failure of the compiler itself (a bug) is raised, not kept. `event`:
    a sync-feed subscription, compiled to answer one change (compiler.compile_event)."""
    key = _plan_key(query, operation_name or only_operation(document), variables)
    found = PLANS.get(key)
    if found is None or (isinstance(found, Statement) and found.valid_on is not None
                         and found.valid_on != _today()):
        try:
            found = (compile_event if event else compile_query)(schema, document, operation_name, variables)
        except NotCompiled as why:
            found = NotCompiled(str(why))  # kept without its traceback
        PLANS.keep(key, found, plan_bytes(found))
    return found


def compiled_names(operation_name: str | None, document: DocumentNode) -> set[str | None]:
    """The operation names under which a request may ask again for the operation that just ran
    compiled: the name it gave, and with one operation in the document, its name or none."""
    only = only_operation(document)
    return {operation_name, None, only} if operation_name in (None, only) else {operation_name}


def _today() -> date:
    return datetime.now(UTC).date()


def _plan_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps([query, operation_name, variables], sort_keys=True,
                                     default=str).encode()).hexdigest()


def plan_bytes(found: Statement | NotCompiled) -> int:
    """What keeping a plan costs: its key (a SHA-256 in hex), the statement's text and
    parameters (or the reason), and the bookkeeping."""
    fixed = KEY_BYTES + str_bytes("0" * 64) + PLAN_BYTES
    if isinstance(found, NotCompiled):
        return fixed + str_bytes(str(found))
    return fixed + str_bytes(found.sql) + sum(PARAM_BYTES + len(p or "") for p in found.params)


def only_operation(document: DocumentNode) -> str | None:
    """The name of the document's only operation (a request need not name it)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None
