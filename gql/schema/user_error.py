"""UserError: an expected failure, reported in a mutation payload's `errors` list."""

from __future__ import annotations

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
