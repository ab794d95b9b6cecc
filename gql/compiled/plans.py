"""What the compiled path keeps between requests: compiled statements (or why there is none)
by document, operation and the shape of the variables, bounded by the memory they hold
(gql/edge/bounded_cache.py). Which documents compiled is marked on the parsed documents' own cache
(gql/edge/document_cache.py), which holds each tree once.

A plan is keyed by which variables have a value and by the values of the few that shaped its
text (Statement.shaping: a page size, a filter, an @include); every other variable is a
parameter the plan sets per request (Statement.bindings). So `business(slug: $slug)` compiles
once for every slug, and `businesses(first: $n)` once per page size."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
)
from graphql.utilities import coerce_input_value

from gql.compiled.compiler import NotCompiled, Statement, compile_event, compile_query, param_text, plain
from gql.edge.bounded_cache import KEY_BYTES, BoundedCache, str_bytes

CACHE_BYTES = 16 * 1024 * 1024
"""The default bound (GQL_PLAN_CACHE_BYTES): ~18,000 plans of a small business query."""
PLAN_BYTES = 200
"""A plan beyond its key and its strings: the Statement (or NotCompiled) and its list of
parameters. Measured (tracemalloc, 400 plans of each shape), a plan in all, key and strings
included: 740 bytes for a small business query, 1,390 with 5 parameters, 2,100-2,400 for a
search or a connection, 490 for a reason not to compile; plan_bytes() is 1.15-1.45 times that."""
BINDING_BYTES = 160
"""A Binding and its slot in the tuple (its strings are the document's own)."""
PARAM_BYTES = 60
"""A parameter beyond its characters: its str and its slot in the list."""

Shapings = tuple[frozenset[str], ...]

PLANS: BoundedCache[Statement | NotCompiled | Shapings] = BoundedCache(CACHE_BYTES)
"""By the shape of a request: the sets of variables whose values shaped its plans (most often
one, often empty); by the shape and those values: the plan (a statement, or why there is none)."""


def planned(schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None,
            variables: dict[str, Any] | None, *, event: bool = False) -> Statement | NotCompiled:
    """The statement for this document and these variables, or why there is none: compiled
    once per shape, then kept. A failure of the compiler itself (a bug) is raised, not kept.
    `event`: a sync-feed subscription, compiled to answer one change (compiler.compile_event)."""
    variables = variables or {}
    # `event` apart: a subscription's text asked over HTTP is refused, never its event's plan.
    shape = [query, operation_name or only_operation(document), event,
             sorted((name, value is None) for name, value in variables.items())]
    shape_key = _key(shape)
    known = PLANS.get(shape_key)
    shapings: Shapings = known if isinstance(known, tuple) else ()
    for shaping in shapings:
        found = PLANS.get(_key(shape, variables, shaping))
        if isinstance(found, Statement | NotCompiled) and not _expired(found):
            return _with_values(found, variables)
    try:
        found = (compile_event if event else compile_query)(schema, document, operation_name, variables)
    except NotCompiled as why:
        found = NotCompiled(str(why))  # kept without its traceback
        found.shaping = why.shaping
    if found.shaping not in shapings:
        shapings = (*shapings, found.shaping)
        PLANS.keep(shape_key, shapings, KEY_BYTES + str_bytes("0" * 64) + PLAN_BYTES
                   + sum(SHAPING_BYTES + sum(str_bytes(v) for v in s) for s in shapings))
    PLANS.keep(_key(shape, variables, found.shaping), found, plan_bytes(found))
    return found


SHAPING_BYTES = 250
"""A set of variable names beyond its names' strings (a frozenset and its slot)."""


def _expired(found: Statement | NotCompiled) -> bool:
    return isinstance(found, Statement) and found.valid_on is not None and found.valid_on != _today()


def _with_values(found: Statement | NotCompiled, variables: dict[str, Any]) -> Statement | NotCompiled:
    """A kept plan with this request's values in its bound parameters. A value the compiler
    would not have taken (its conversion refuses it) is the interpreter's to report."""
    if isinstance(found, NotCompiled):
        return found
    for name, type_ in found.unread:
        if variables.get(name) is not None:
            try:
                _coerced(variables[name], type_)
            except GraphQLError as exc:
                return NotCompiled(f"${name}: {exc.message}")
    if not found.bindings:
        return found
    params = list(found.params)
    for binding in found.bindings:
        try:
            value = plain(_coerced(variables[binding.variable], binding.type_))
            if binding.convert is not None:
                value = binding.convert(value)
        except (GraphQLError, NotCompiled) as exc:
            why = exc.message if isinstance(exc, GraphQLError) else str(exc)
            return NotCompiled(f"${binding.variable}: {why}")
        params[binding.slot] = param_text(value, binding.sql_type)
    return replace(found, params=params)


def compiled_names(operation_name: str | None, document: DocumentNode) -> set[str | None]:
    """The operation names under which a request may ask again for the operation that just ran
    compiled: the name it gave, and with one operation in the document, its name or none."""
    only = only_operation(document)
    return {operation_name, None, only} if operation_name in (None, only) else {operation_name}


def _today() -> date:
    return datetime.now(UTC).date()


def _coerced(value: Any, type_: GraphQLInputType) -> Any:
    """A variable's value as its type takes it; raises GraphQLError for one it does not."""
    coerced = coerce_input_value(value, type_)
    if coerced is Undefined:
        raise GraphQLError(f"{json.dumps(value, default=str)[:64]} is not a valid {type_}")
    return coerced


def _key(shape: list[Any], variables: dict[str, Any] | None = None,
         shaping: frozenset[str] = frozenset()) -> str:
    values = None if variables is None else {name: variables.get(name) for name in shaping}
    return hashlib.sha256(json.dumps([shape, values], sort_keys=True, default=str).encode()).hexdigest()


def plan_bytes(found: Statement | NotCompiled) -> int:
    """What keeping a plan costs: its key (a SHA-256 in hex), the statement's text and
    parameters (or the reason), and the bookkeeping."""
    fixed = KEY_BYTES + str_bytes("0" * 64) + PLAN_BYTES
    if isinstance(found, NotCompiled):
        return fixed + str_bytes(str(found))
    return (fixed + str_bytes(found.sql) + sum(PARAM_BYTES + len(p or "") for p in found.params)
            + BINDING_BYTES * (len(found.bindings) + len(found.unread))
            + sum(str_bytes(v) for v in found.shaping))


def only_operation(document: DocumentNode) -> str | None:
    """The name of the document's only operation (a request need not name it)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None
