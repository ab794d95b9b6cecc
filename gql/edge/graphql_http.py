"""GraphQL over HTTP (the GraphQL-over-HTTP specification): media types and status codes.

A client that accepts `application/graphql-response+json` gets it, and with it status codes
that say what happened: 400 when the request failed before execution (syntax, validation,
variable coercion; the body then has no `data`), 200 once execution ran. A client that asks
for `application/json` (or nothing) gets that, always 200 for GraphQL errors, as before.
Every refusal outside GraphQL (413, 405, 400 for a malformed body) is a GraphQL error
document too, never plain text.
"""

from __future__ import annotations

from starlette.responses import JSONResponse

from gql.observability.metrics import GRAPHQL_ERRORS

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def negotiate(accept: str | None) -> str:
    """The response media type for an Accept header (legacy JSON when there is none)."""
    if not accept:
        return JSON
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if GRAPHQL_RESPONSE in offered or ("application/*" in offered and JSON not in offered):
        return GRAPHQL_RESPONSE
    return JSON


def error_response(status: int, message: str, *, code: str, accept: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    GRAPHQL_ERRORS.labels(code).inc()
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers, media_type=negotiate(accept))
