"""Turning mutation input into what the SQL write functions take: checked values and JSON
patches keyed by column name. Problems become UserErrors naming the input field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from strawberry import UNSET

from gql.user_errors import ErrorCode, MutationFailed, UserErrorData


def invalid(field: str, message: str) -> MutationFailed:
    return MutationFailed(UserErrorData(ErrorCode.VALIDATION, message, field))


def input_id(value: object, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise invalid(field, f"{field} is not a valid ID") from None


def checked_text(value: Any, field: str) -> Any:
    """PostgreSQL text cannot hold NUL characters: say so instead of failing deep down."""
    if isinstance(value, str) and "\x00" in value:
        raise invalid(field, f"{field} must not contain NUL characters")
    if isinstance(value, list):
        return [checked_text(v, field) for v in value]
    return value


def column_patch(values: Mapping[str, tuple[str, Any]]) -> dict[str, Any]:
    """{column: value} for the input fields that were given (UNSET ones are left out).
    `values` maps each input field name to (column, value)."""
    patch: dict[str, Any] = {}
    for field, (column, value) in values.items():
        if value is UNSET:
            continue
        patch[column] = checked_text(value, field)
    return patch
