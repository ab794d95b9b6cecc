"""Parsed and validated documents, kept by their text, bounded in bytes.

Clients send the same few documents over and over: each is parsed and validated once
(validation was half of the CPU of a one-business query: py-spy, bench Q2). The cache is
bounded by the total size of the documents it keeps, and a document over
MAX_CACHED_DOCUMENT_BYTES is not kept at all, so distinct large documents cannot grow the
server's memory (with a count-bounded cache, 24 distinct 4 MB documents held ~190 MB).
One cache per process, shared by every request; validation rules are fixed per schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gql.bounded_cache import BoundedCache

MAX_CACHED_DOCUMENT_BYTES = 16 * 1024
CACHE_BYTES = 8 * 1024 * 1024


@dataclass
class Entry:
    document: DocumentNode
    errors: Sequence[GraphQLError] | None = None
    """Validation errors; None until validated."""


class Documents(BoundedCache[Entry]):
    """Parsed documents by their text, at most CACHE_BYTES of text in all."""

    def __init__(self) -> None:
        super().__init__(CACHE_BYTES, MAX_CACHED_DOCUMENT_BYTES)


class DocumentCache(SchemaExtension):
    def __init__(self, documents: Documents) -> None:
        self.documents = documents
        self.entry: Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is not None:
            self.entry = self.documents.get(query)
            if self.entry is None:
                try:
                    self.entry = Entry(parse(query, **context.parse_options))
                except GraphQLError:  # Strawberry parses it again and reports the error
                    self.entry = None
                else:
                    self.documents.keep(query, self.entry, len(query))
            if self.entry is not None:
                context.graphql_document = self.entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self.entry
        if entry is not None and entry.document is context.graphql_document:
            if entry.errors is None:
                entry.errors = validate_document(context.schema._schema, entry.document,
                                                 context.validation_rules)
            context.pre_execution_errors = list(entry.errors)
        yield
