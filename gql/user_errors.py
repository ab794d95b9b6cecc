"""Expected failures as data (DESIGN rule 8): what a mutation's `errors` list holds, and how
PostgreSQL errors become those entries. Anything not recognised here stays an exception and
is masked before it reaches the client."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum

import asyncpg


class ErrorCode(Enum):
    VALIDATION = "VALIDATION"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class UserErrorData:
    code: ErrorCode
    message: str
    field: str | None = None


class MutationFailed(Exception):
    def __init__(self, *errors: UserErrorData) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


# SQLSTATEs raised by api.raise_user_error; their messages are written for clients.
_OUR_CODES = {
    "GQ400": ErrorCode.VALIDATION,
    "GQ401": ErrorCode.UNAUTHENTICATED,
    "GQ403": ErrorCode.FORBIDDEN,
    "GQ404": ErrorCode.NOT_FOUND,
    "GQ409": ErrorCode.VERSION_CONFLICT,
    "GQ419": ErrorCode.CONFLICT,
    "GQ429": ErrorCode.RATE_LIMITED,
}

# Input values PostgreSQL refused to read (bad text for a type, NUL bytes, out of range).
_BAD_VALUE_STATES = {"22P02", "22007", "22008", "22003", "22021", "22P05", "22001", "22023", "2201B"}

# Table name prefixes of constraint names, longest first.
_TABLES = ("business_view_events", "business_click_events", "webhook_subscriptions", "business_claims",
           "manager_invitations", "business_reviews", "review_responses", "business_managers", "review_votes",
           "review_flags", "idempotency_keys", "businesses", "categories", "api_keys", "sessions", "users")
_RULE_SUFFIXES = {
    "format": "is not in a valid format",
    "length": "has an invalid length",
    "blank": "must not be blank",
    "range": "is out of range",
    "known": "is not an accepted value",
    "count": "has too many entries",
    "pair": "must be given together",
    "shape": "is not valid",
    "key": "is already taken",
    "fkey": "refers to something that does not exist",
}
# Constraints whose field or message the naming rule cannot tell.
_CONSTRAINTS = {
    "business_reviews_one_per_author": ("businessId", "you have already reviewed this business"),
    "business_claims_one_pending_key": ("businessId", "you have claimed this business already; an "
                                                      "administrator will decide"),
    "businesses_location_pair": ("latitude", "latitude and longitude must be given together"),
    "businesses_timezone_fkey": ("timezone", "is not a time zone this server knows"),
    "businesses_zip_code_length": ("zip", "has an invalid length"),
    "api_keys_business_ids_count": ("businessIds", "businessIds must name 1 to 100 businesses (leave it out "
                                                   "for all of yours)"),
    "categories_no_cycle": ("parentId", "a category cannot be placed under itself or its own sub-category"),
    "categories_not_own_parent": ("parentId", "a category cannot be its own parent"),
    "categories_parent_id_fkey": ("parentId", "no such parent category"),
    "businesses_primary_category_id_fkey": ("primaryCategoryId", "no such category"),
}
_FIELD_NAMES = {"zip_code": "zip", "address_line1": "addressLine1", "address_line2": "addressLine2"}


def _camel(snake: str) -> str:
    if snake in _FIELD_NAMES:
        return _FIELD_NAMES[snake]
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _from_constraint(name: str) -> tuple[str | None, str]:
    if name in _CONSTRAINTS:
        return _CONSTRAINTS[name]
    body = next((name[len(t) + 1:] for t in _TABLES if name.startswith(t + "_")), name)
    column, _, suffix = body.rpartition("_")
    if suffix in _RULE_SUFFIXES and column:
        field = _camel(column)
        return field, f"{field} {_RULE_SUFFIXES[suffix]}"
    return None, "a value was not accepted"


def errors_from_postgres(exc: asyncpg.PostgresError) -> list[UserErrorData]:
    """from_postgres, with a version conflict told field by field: SQL names the columns that
    clashed (api.check_mergeable), comma-separated; empty when the error is unexpected."""
    error = from_postgres(exc)
    if error is None:
        return []
    if error.code is ErrorCode.VERSION_CONFLICT and error.field and error.field != "expectedVersion":
        return [replace(error, field=_camel(column)) for column in error.field.split(",")]
    return [error]


def from_postgres(exc: asyncpg.PostgresError) -> UserErrorData | None:
    """The UserError a database error stands for, or None when it is unexpected."""
    state = exc.sqlstate or ""
    if state in _OUR_CODES:
        return UserErrorData(_OUR_CODES[state], str(exc.args[0] if exc.args else exc),
                             getattr(exc, "column_name", None) or None)
    constraint = getattr(exc, "constraint_name", None)
    if state == "23514" and constraint:  # check_violation
        field, message = _from_constraint(constraint)
        return UserErrorData(ErrorCode.VALIDATION, message, field)
    if state == "23505" and constraint:  # unique_violation
        field, message = _from_constraint(constraint)
        return UserErrorData(ErrorCode.CONFLICT, message, field)
    if state == "23503" and constraint:  # foreign_key_violation
        field, message = _from_constraint(constraint)
        return UserErrorData(ErrorCode.VALIDATION, message, field)
    if state == "23502":  # not_null_violation
        column = getattr(exc, "column_name", None)
        field = _camel(column) if column else None
        return UserErrorData(ErrorCode.VALIDATION, f"{field or 'a value'} is required", field)
    if state == "42501":  # insufficient_privilege, including a failed RLS check
        return UserErrorData(ErrorCode.FORBIDDEN, "you may not do this")
    if state in _BAD_VALUE_STATES:
        return UserErrorData(ErrorCode.VALIDATION, _bad_value_message(str(exc)))
    return None


def _bad_value_message(text: str) -> str:
    # PostgreSQL's own wording for these is safe to show, minus any quoted input echo.
    return re.sub(r'"[^"]{40,}"', '"..."', text.split("\n")[0])[:200]
