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


def column_patch(values: Mapping[str, tuple[str, Any]]) -> dict[str, Any]:
    """{column: value} for the input fields that were given (UNSET ones are left out).
    `values` maps each input field name to (column, value)."""
    patch: dict[str, Any] = {}
    for column, value in values.values():
        if value is UNSET:
            continue
        patch[column] = value
    return patch
