"""Persisted documents: clients send a hash instead of the whole document.

- Automatic persisted queries (Apollo's protocol, `extensions.persistedQuery = {version: 1,
  sha256Hash}`): a known hash runs its document; an unknown one is answered
  PERSISTED_QUERY_NOT_FOUND, and the client sends hash and document once, after which the
  hash alone works (also over GET, so HTTP caches can serve reads). Documents learnt this way
  are kept in memory per process, as text, bounded by the memory that text and its hash hold
  (GQL_PERSISTED_CACHE_BYTES; the parsed form is in the documents' cache, bounded apart).
- Trusted documents: the operator registers a client's documents ahead of time
  (`python -m gql documents register FILE...`, into the persisted_documents table): `.graphql`
  files, Apollo's manifest (`@apollo/generate-persisted-query-manifest`), or an object of id ->
  document (Relay's persisted queries, whatever hash it was configured with; GraphQL Code
  Generator's). A document is known by the SHA-256 of its text and by the id its client gave
  it; a client asks for it by either, as `extensions.persistedQuery.sha256Hash` (Apollo) or
  `documentId` / `doc_id` (the GraphQL-over-HTTP draft, Code Generator, Relay). With
  GQL_PERSISTED_DOCUMENTS=allowlist only registered documents run, whether sent by id or in
  full, over HTTP and WebSocket alike; nothing is learnt from clients.

Trailing whitespace is not part of a document: a `.graphql` file's final newline changes no
hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gql.edge.bounded_cache import KEY_BYTES, BoundedCache, str_bytes

APQ = "apq"
ALLOWLIST = "allowlist"
MODES = (APQ, ALLOWLIST)
HASH = re.compile(r"[0-9a-f]{64}")
LEARNT_BYTES = 8 * 1024 * 1024
"""The default bound (GQL_PERSISTED_CACHE_BYTES): ~20,000 documents of 150 characters."""


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def learnt_bytes(sha256: str, document: str) -> int:
    """What a learnt document holds: its text, its hash (the key) and the bookkeeping; the
    text shares nothing with the parsed document (which is a cache of its own)."""
    return KEY_BYTES + str_bytes(sha256) + str_bytes(document)


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class PersistedDocuments:
    def __init__(self, pool: asyncpg.Pool, mode: str, max_bytes: int = LEARNT_BYTES) -> None:
        if mode not in MODES:
            raise ValueError(f"GQL_PERSISTED_DOCUMENTS must be one of {', '.join(MODES)}, not {mode!r}")
        self._pool = pool
        self.mode = mode
        self._learnt: BoundedCache[str] = BoundedCache(max_bytes)  # APQ
        self._registered: dict[str, str] = {}  # trusted documents found so far (immutable)

    async def registered(self, sha256: str) -> str | None:
        found = self._registered.get(sha256)
        if found is None:
            async with self._pool.acquire() as conn:
                found = await conn.fetchval("select api_private.registered_document($1)", sha256)
            if found is not None:
                self._registered[sha256] = found
        return found

    async def document_for(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The document a request runs; raises GraphQLError (PERSISTED_QUERY_*) when there is
        none it may run."""
        document_id = (extensions or {}).get(DOCUMENT_ID)
        if isinstance(document_id, str) and not query:
            return await self._by_id(document_id.removeprefix("sha256:"))
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query  # allow-list mode checks the text itself (TrustedDocumentsOnly)
        version, sha256 = (persisted.get("version"), persisted.get("sha256Hash")) \
            if isinstance(persisted, dict) else (None, None)
        if version != 1 or not isinstance(sha256, str) or not HASH.fullmatch(sha256):
            raise _error("extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}",
                         "PERSISTED_QUERY_INVALID")
        if query:
            if sha256 not in (sha256_of(query), sha256_of(query.rstrip())):
                raise _error("The sha256Hash does not match the document sent.",
                             "PERSISTED_QUERY_HASH_MISMATCH")
            if self.mode == APQ:
                self._learnt.keep(sha256, query, learnt_bytes(sha256, query))
            return query
        return await self._by_id(sha256)

    async def _by_id(self, key: str) -> str:
        learnt = self._learnt.get(key) if self.mode == APQ else None
        document = learnt or await self.registered(key)
        if document is None:
            if self.mode == ALLOWLIST:
                raise _error("No document is registered under this id.", "PERSISTED_QUERY_NOT_ALLOWED")
            raise _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return document

    async def allowed(self, query: str) -> bool:
        """Allow-list mode: is this text a registered document (trailing whitespace aside)?"""
        return (await self.registered(sha256_of(query)) is not None
                or await self.registered(sha256_of(query.rstrip())) is not None)


DOCUMENT_ID = "documentId"
"""Where a request's document id (top-level `documentId` or `doc_id`) travels inside the server:
in its extensions (the edge moves it there, gql/app.py)."""
APOLLO_MANIFEST = "apollo-persisted-query-manifest"


@dataclass(frozen=True)
class Registration:
    document: str
    source: str
    ids: tuple[str, ...] = ()
    """The client's own names for it besides the SHA-256 of its text."""

    @property
    def sha256(self) -> str:
        return sha256_of(self.document)


def read_documents(paths: list[Path]) -> list[Registration]:
    """The documents of client files: a `.graphql`/`.gql` file is one document; a `.json` file
    is Apollo's manifest or an object of id -> document."""
    found: list[Registration] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".json":
            document = text.rstrip()
            found.append(Registration(document, str(path), tuple({sha256_of(text)} - {sha256_of(document)})))
            continue
        manifest = json.loads(text)
        if isinstance(manifest, dict) and manifest.get("format") == APOLLO_MANIFEST:
            operations = manifest.get("operations")
            if manifest.get("version") != 1 or not isinstance(operations, list) or not all(
                    isinstance(o, dict) and isinstance(o.get("id"), str) and isinstance(o.get("body"), str)
                    for o in operations):
                raise ValueError(f"{path}: expected version 1 of Apollo's manifest, operations with id and "
                                 "body")
            named = {str(o["id"]): str(o["body"]) for o in operations}
        elif isinstance(manifest, dict) and all(isinstance(v, str) for v in manifest.values()):
            named = manifest
        else:
            raise ValueError(f"{path}: expected Apollo's persisted query manifest, or an object of id -> "
                             "document")
        for key, body in named.items():
            if not 0 < len(key) <= MAX_ID_LENGTH:
                raise ValueError(f"{path}: an id has 1 to {MAX_ID_LENGTH} characters")
            document = body.rstrip()
            found.append(Registration(document, str(path), tuple({key} - {sha256_of(document)})))
    return found


MAX_ID_LENGTH = 200


class TrustedDocumentsOnly(SchemaExtension):
    """Allow-list mode: a document that is not registered does not run (any transport)."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        documents = getattr(context.context, "persisted", None)
        query = context.query
        if (isinstance(documents, PersistedDocuments) and documents.mode == ALLOWLIST and query is not None
                and not await documents.allowed(query)):
            context.pre_execution_errors = [
                _error("Only registered documents may run on this server.", "PERSISTED_QUERY_NOT_ALLOWED")]
        yield
