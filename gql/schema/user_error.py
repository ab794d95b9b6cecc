"""UserError: an expected failure, reported in a mutation payload's `errors` list."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from gql.user_errors import ErrorCode as ErrorCodeEnum
from gql.user_errors import UserErrorData

ErrorCode = strawberry.enum(ErrorCodeEnum, name="ErrorCode",
                            description="Stable codes of UserError; match on these, not on messages.")


@strawberry.type(description="Something the client can fix or should know: the mutation "
                             "changed nothing it reports an error for.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, when there is one.")
    message: str
    code: ErrorCode  # type: ignore[valid-type]

    @classmethod
    def from_data(cls, data: UserErrorData) -> UserError:
        return cls(field=data.field, message=data.message, code=data.code)


def user_errors(errors: list[UserErrorData]) -> list[UserError]:
    return [UserError.from_data(e) for e in errors]


P = TypeVar("P")


def payload(kind: type[P], convert: Callable[[Any], Any], outcome: tuple[Any, list[UserErrorData]],
            missing: Any = None) -> P:
    """A mutation payload from a write's outcome: its first field (`convert`ed, or `missing`
    when there is nothing) and `errors`."""
    value, errors = outcome
    field = dataclasses.fields(kind)[0].name  # type: ignore[arg-type]
    return kind(**{field: missing if value is None else convert(value), "errors": user_errors(errors)})
