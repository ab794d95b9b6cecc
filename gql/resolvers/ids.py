"""Ids as clients send them: UUID strings."""

from __future__ import annotations

from uuid import UUID

from gql.errors import BadArgument


def parse_id(value: str, argument: str = "id") -> UUID:
    try:
        return UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise BadArgument(argument, f"is not a valid ID: {value[:64]!r}") from None
