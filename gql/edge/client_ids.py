"""The device id a client sends (X-Client-Id header, connection_init `clientId`, a mutation's
`clientId` argument): recorded on the changes it makes so that the device can recognise its
own echo. One rule for all three ways in."""

from __future__ import annotations

from gql.edge.plain_text import text_problem

MAX_LENGTH = 200


def client_id_problem(value: object) -> str | None:
    """What is wrong with a client id, or None when it is fine."""
    if not isinstance(value, str):
        return "must be a string"
    if not 1 <= len(value) <= MAX_LENGTH:
        return f"must be 1 to {MAX_LENGTH} characters"
    return text_problem(value)
