"""Errors a client may see. Anything else is masked before it leaves the server (rule 8)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import asyncpg
from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from gql.user_errors import from_postgres


class BadArgument(GraphQLError):
    """A GraphQL error that names the argument at fault."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(
            f'Argument "{argument}" {problem}',
            extensions={"code": "BAD_USER_INPUT", "argument": argument},
        )
        self.argument = argument


OPERATION_REFUSALS = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)
"""Strawberry's words for a request that names no runnable operation (an unknown operationName,
a subscription where it is not served, no document): the client's mistake, said as it is."""


def is_for_client(error: GraphQLError) -> bool:
    """Errors the client may read: GraphQL's own (syntax, validation, coercion) and ours.

    An error raised by a resolver that is not a GraphQLError is unexpected (a bug, a lost
    database); its message may hold SQL or connection details, so it is masked.
    """
    original = error.original_error
    return original is None or isinstance(original, (GraphQLError, *OPERATION_REFUSALS))


@contextlib.contextmanager
def refusals_as_errors() -> Iterator[None]:
    """In a query, a refusal raised by SQL (not signed in, forbidden, a bad argument) becomes
    a GraphQL error with its code; any other database error stays unexpected."""
    try:
        yield
    except asyncpg.PostgresError as exc:
        error = from_postgres(exc)
        if error is None:
            raise
        raise GraphQLError(error.message,
                           extensions={"code": error.code.value, "argument": error.field}) from None
