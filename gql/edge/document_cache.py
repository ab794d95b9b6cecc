"""Parsed and validated documents, kept by their text, bounded by the memory they hold.

Clients send the same few documents over and over: each is parsed and validated once
(validation was half of the CPU of a one-business query: py-spy, bench Q2), and the compiled
path's short way (gql/compiled/fast_path.py) answers a document marked here as compiled
without Strawberry. One cache per process, shared by every request; validation rules are
fixed per schema.

The cache is bounded by what its entries hold in memory, not by the size of their text: a
parsed document holds ~70-250 times its text (the tree, a Location per node and the lexer's
token chain, which the locations keep alive), so a text bound of 8 MB let ~13 KB of memory in
per distinct ~150-byte document and the process grew without a plateau (issue 27). An entry
is charged entry_bytes(), measured with tracemalloc over documents of several shapes
(tests/test_memory.py checks that the estimate stays above the measure). A document over
MAX_CACHED_DOCUMENT_BYTES of text is not kept at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError, Token, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gql.edge.bounded_cache import KEY_BYTES, BoundedCache, str_bytes

MAX_CACHED_DOCUMENT_BYTES = 16 * 1024
CACHE_BYTES = 32 * 1024 * 1024
"""The default bound (GQL_DOCUMENT_CACHE_BYTES): ~2,700 small business queries (charged 12 KB each)."""

BYTES_PER_TOKEN = 640
"""A token of the document, parsed and validated: its Token in the lexer's chain, the node it
makes with the node's Location, and the hashes validation caches on nodes. Measured
(tracemalloc, 400 documents of each shape, beyond the text and the errors): 310 bytes a token
for a small business query, 340 for a connection query, 280 with variables, 290 with
fragments, 445 for 40 repeated fields, 600 for 1,000 of them; charged over the worst, so
the estimate is 1.1-2.1 times what an entry holds."""
BYTES_PER_ERROR = 800
"""A validation error kept with its document (message, locations, nodes): measured 680-700."""
ENTRY_BYTES = 400
"""The Entry, its DocumentNode, the errors' list and the compiled marks."""


@dataclass
class Entry:
    document: DocumentNode
    errors: Sequence[GraphQLError] | None = None
    """Validation errors; None until validated."""
    compiled: set[str | None] = field(default_factory=set)
    """Operation names (None: a request that names none) that validated without errors and
    ran compiled: the short way answers them (gql/compiled/fast_path.py)."""


def tokens(document: DocumentNode) -> int:
    """The tokens the lexer made (comments included): the locations keep all of them."""
    if document.loc is None:
        return 0
    token: Token | None = document.loc.start_token  # (the chain runs on to the end of the text)
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


def entry_bytes(query: str, entry: Entry) -> int:
    """What keeping `entry` under `query` costs: the text (the key, which the parsed Source
    shares) and the values taken out of it (names, strings, comments), the tokens and nodes,
    the validation errors, and the bookkeeping."""
    return (KEY_BYTES + ENTRY_BYTES + str_bytes(query) + len(query) + BYTES_PER_TOKEN * tokens(entry.document)
            + BYTES_PER_ERROR * len(entry.errors or ()))


class Documents(BoundedCache[Entry]):
    """Parsed documents by their text, at most CACHE_BYTES of memory in all."""

    def __init__(self, max_total: int = CACHE_BYTES) -> None:
        super().__init__(max_total)

    def note_compiled(self, query: str, document: DocumentNode, names: Iterable[str | None]) -> None:
        """The document ran compiled under these operation names (it validated without
        errors): the short way may answer it from now on."""
        entry = self.get(query)
        if entry is not None and entry.document is document and entry.errors == []:
            entry.compiled.update(names)

    def compiled(self, query: str, operation_name: str | None) -> DocumentNode | None:
        """The document, when it ran compiled under this operation name before."""
        entry = self.get(query)
        return entry.document if entry is not None and operation_name in entry.compiled else None


DOCUMENTS = Documents()
"""The process's cache (gql/app.py sizes it from Settings.caches)."""


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
                query = context.query
                if query is not None and len(query) <= MAX_CACHED_DOCUMENT_BYTES:
                    # Kept once validated: its errors are part of what it holds.
                    self.documents.keep(query, entry, entry_bytes(query, entry))
            context.pre_execution_errors = list(entry.errors)
        yield
