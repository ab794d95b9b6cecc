"""What the compiled path keeps between requests, bounded by size: documents that validated
and compiled, and compiled statements (or why there is none) by document and variables."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode

from gql.bounded_cache import BoundedCache
from gql.compiled.compiler import NotCompiled, Statement, compile_event, compile_query

KNOWN_DOCUMENTS: BoundedCache[DocumentNode] = BoundedCache(max_total=16 * 1024 * 1024, max_item=256 * 1024)
"""Documents that passed validation and compiled, by their text and operation name."""

PLANS: BoundedCache[Statement | NotCompiled] = BoundedCache(max_total=32 * 1024 * 1024, max_item=512 * 1024)
"""Compiled statements (or the reason there is none) by document, operation and variables."""


def document_key(query: str, operation_name: str | None) -> str:
    return hashlib.sha256(f"{operation_name or ''}\0{query}".encode()).hexdigest()


def planned(schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None,
            variables: dict[str, Any] | None, *, event: bool = False) -> Statement | NotCompiled:
    """The statement for this document and these variables, or why there is none: compiled
    once, then kept. A failure of the compiler itself (a bug) is raised, not kept. `event`:
    a sync-feed subscription, compiled to answer one change (compiler.compile_event)."""
    key = _plan_key(query, operation_name or _only_operation(document), variables)
    found = PLANS.get(key)
    if found is None or (isinstance(found, Statement) and found.valid_on is not None
                         and found.valid_on != _today()):
        try:
            found = (compile_event if event else compile_query)(schema, document, operation_name, variables)
        except NotCompiled as why:
            found = NotCompiled(str(why))  # kept without its traceback
        PLANS.keep(key, found, _plan_size(found))
    return found


def _today() -> date:
    return datetime.now(UTC).date()


def _plan_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps([query, operation_name, variables], sort_keys=True,
                                     default=str).encode()).hexdigest()


def _plan_size(found: Statement | NotCompiled) -> int:
    if isinstance(found, NotCompiled):
        return 200 + len(str(found))
    return 200 + len(found.sql) + sum(len(p or "") for p in found.params)


def _only_operation(document: DocumentNode) -> str | None:
    """The name of the document's only operation (a request need not name it)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


def remember(query: str, operation_name: str | None, document: DocumentNode) -> None:
    """A document the ordinary way validated and compiled (size: a rough bound of its AST).
    With one operation in it, a request may name it or not: both find it."""
    size = 200 + 20 * len(query)
    KNOWN_DOCUMENTS.keep(document_key(query, operation_name), document, size)
    if operation_name is not None and operation_name == _only_operation(document):
        KNOWN_DOCUMENTS.keep(document_key(query, None), document, size)
