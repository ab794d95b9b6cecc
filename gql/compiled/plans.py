"""What the compiled path keeps between requests, bounded by size: documents that validated
and compiled, and compiled statements (or why there is none) by document and variables."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode

from gql.bounded_cache import BoundedCache
from gql.compiled.compiler import NotCompiled, Statement

KNOWN_DOCUMENTS: BoundedCache[DocumentNode] = BoundedCache(max_total=16 * 1024 * 1024, max_item=256 * 1024)
"""Documents that passed validation and compiled, by their text and operation name."""

PLANS: BoundedCache[Statement | NotCompiled] = BoundedCache(max_total=32 * 1024 * 1024, max_item=512 * 1024)
"""Compiled statements (or the reason there is none) by document, operation and variables."""


def document_key(query: str, operation_name: str | None) -> str:
    return hashlib.sha256(f"{operation_name or ''}\0{query}".encode()).hexdigest()


def plan_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps([query, operation_name, variables], sort_keys=True,
                                     default=str).encode()).hexdigest()


def plan_size(planned: Statement | NotCompiled) -> int:
    if isinstance(planned, NotCompiled):
        return 200 + len(str(planned))
    return 200 + len(planned.sql) + sum(len(p or "") for p in planned.params)


def remember(query: str, operation_name: str | None, document: DocumentNode) -> None:
    """A document the ordinary way validated and compiled (size: a rough bound of its AST).
    With one operation in it, a request may name it or not: both find it."""
    size = 200 + 20 * len(query)
    KNOWN_DOCUMENTS.keep(document_key(query, operation_name), document, size)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) == 1 and operation_name is not None:
        KNOWN_DOCUMENTS.keep(document_key(query, None), document, size)
