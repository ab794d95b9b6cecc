"""Persisted documents: clients send a hash instead of the whole document.

- Automatic persisted queries (Apollo's protocol, `extensions.persistedQuery = {version: 1,
  sha256Hash}`): a known hash runs its document; an unknown one is answered
  PERSISTED_QUERY_NOT_FOUND, and the client sends hash and document once, after which the
  hash alone works (also over GET, so HTTP caches can serve reads). Documents learnt this way
  are kept in memory per process, as text, bounded by the memory that text and its hash hold
  (GQL_PERSISTED_CACHE_BYTES; the parsed form is in the documents' cache, bounded apart).
- Trusted documents: the operator registers a client's documents ahead of time
  (`python -m gql documents register FILE...`, into the persisted_documents table). With
  GQL_PERSISTED_DOCUMENTS=allowlist only registered documents run, whether sent by hash or in
  full, over HTTP and WebSocket alike; nothing is learnt from clients.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gql.bounded_cache import KEY_BYTES, BoundedCache, str_bytes

APQ = "apq"
ALLOWLIST = "allowlist"
MODES = (APQ, ALLOWLIST)
HASH = re.compile(r"[0-9a-f]{64}")
LEARNT_BYTES = 8 * 1024 * 1024
"""The default bound (GQL_PERSISTED_CACHE_BYTES): ~20,000 documents of 150 characters."""
MAX_DOCUMENT_BYTES = 64 * 1024


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
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query  # allow-list mode checks the text itself (TrustedDocumentsOnly)
        version, sha256 = (persisted.get("version"), persisted.get("sha256Hash")) \
            if isinstance(persisted, dict) else (None, None)
        if version != 1 or not isinstance(sha256, str) or not HASH.fullmatch(sha256):
            raise _error("extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}",
                         "PERSISTED_QUERY_INVALID")
        if query is not None:
            if sha256_of(query) != sha256:
                raise _error("The sha256Hash does not match the document sent.",
                             "PERSISTED_QUERY_HASH_MISMATCH")
            if self.mode == APQ and len(query) <= MAX_DOCUMENT_BYTES:
                self._learnt.keep(sha256, query, learnt_bytes(sha256, query))
            return query
        learnt = self._learnt.get(sha256) if self.mode == APQ else None
        document = learnt or await self.registered(sha256)
        if document is None:
            if self.mode == ALLOWLIST:
                raise _error("No document is registered under this hash.", "PERSISTED_QUERY_NOT_ALLOWED")
            raise _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return document


def read_documents(paths: list[Path]) -> list[tuple[str, str, str]]:
    """(sha256, document, source) from client files: a `.graphql`/`.gql` file is one document;
    a `.json` file maps hashes to documents (the persisted-documents manifest that Relay and
    GraphQL Code Generator write), each hash checked against its document."""
    found: list[tuple[str, str, str]] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            manifest = json.loads(text)
            if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
                raise ValueError(f"{path}: expected an object of hash -> document")
            for sha256, document in manifest.items():
                if sha256_of(document) != sha256:
                    raise ValueError(f"{path}: {sha256} is not the SHA-256 of its document")
                found.append((sha256, document, str(path)))
        else:
            found.append((sha256_of(text), text, str(path)))
    return found


class TrustedDocumentsOnly(SchemaExtension):
    """Allow-list mode: a document that is not registered does not run (any transport)."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        documents = getattr(context.context, "persisted", None)
        query = context.query
        if (isinstance(documents, PersistedDocuments) and documents.mode == ALLOWLIST and query is not None
                and await documents.registered(sha256_of(query)) is None):
            context.pre_execution_errors = [
                _error("Only registered documents may run on this server.", "PERSISTED_QUERY_NOT_ALLOWED")]
        yield
