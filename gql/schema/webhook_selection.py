"""A webhook's GraphQL selection on the changed object: checked when the webhook is
registered, and compiled into the same event statement the sync feed's subscriptions use, so
each event's node has exactly the API's shape (camelCase, the fields the API shows, under the
reader's row-level security).

The selection is made on the `ChangedObject` union. For a webhook of the BUSINESS or the
CATEGORY topic alone it is made on that type (`{ id name rating }`); otherwise with inline
fragments (`{ ... on Review { rating } ... on ReviewResponse { content } }`).
"""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, GraphQLSchema, parse, specified_rules, validate

from gql.compiled.compiler import NotCompiled, Statement
from gql.compiled.plans import planned
from gql.edge.text_inputs import TextLiterals
from gql.schema.document_cost import DocumentCost

MAX_SELECTION_BYTES = 4096
"""As the database's check has it (migration 0027)."""
MAX_SELECTION_TOKENS = 1000
MAX_CHECKED = 256
"""Selections kept checked and compiled (at most 20 webhooks an account; 4 KB a selection)."""

ONE_TYPE: dict[tuple[str, ...], str] = {("business",): "Business", ("category",): "Category"}
"""Topics whose changes are all of one type: a selection of theirs is made on that type."""


def event_document(selection: str, topics: list[str]) -> str:
    """The sync-feed subscription whose answer to one change is this webhook's event."""
    one = ONE_TYPE.get(tuple(sorted(set(topics))))
    node = selection if one is None else f"{{ ... on {one} {selection} }}"
    return f"subscription WebhookEvent {{ changes {{ tombstone node {node} }} }}"


def event_statement(schema: GraphQLSchema, selection: str, topics: list[str]) -> Statement | str:
    """The compiled statement of a selection (kept with the other plans), or why it cannot be
    a webhook's: it does not parse, does not validate against the changed object's type, is
    beyond the document limits, or asks for what is not read from the database alone (a
    sealed email). Checked at registration; at delivery, a selection that no longer compiles
    (the schema changed since) pauses its webhook with the reason."""
    if len(selection.encode()) > MAX_SELECTION_BYTES:
        return f"at most {MAX_SELECTION_BYTES} bytes"
    if not selection.strip().startswith("{"):
        return "a selection set in braces, e.g. { id name }"
    return _checked(schema, selection, tuple(sorted(set(topics))))


@lru_cache(maxsize=MAX_CHECKED)
def _checked(schema: GraphQLSchema, selection: str, topics: tuple[str, ...]) -> Statement | str:
    """Parsed, validated and compiled once per selection, not for every delivery."""
    text = event_document(selection, list(topics))
    try:
        document = parse(text, no_location=True, max_tokens=MAX_SELECTION_TOKENS)
    except GraphQLError as exc:
        return exc.message
    if len(document.definitions) != 1:
        return "one selection set, without fragment definitions beside it"
    errors = validate(schema, document, [*specified_rules, DocumentCost, TextLiterals])
    if errors:
        return errors[0].message
    statement = planned(schema, document, text, None, None, event=True)
    return f"not served to webhooks: {statement}" if isinstance(statement, NotCompiled) else statement
