"""Where a WebSocket client puts its token: the connection_init payload, in whichever shape
its library or the docs it followed chose. A payload that carries something, but no
credentials in a shape read here, is refused: a client that meant to sign in must never be
served silently as anonymous."""

from __future__ import annotations

from typing import Any

SHAPES = ('{"Authorization": "Bearer <token>"}, {"headers": {"Authorization": "Bearer <token>"}}, '
          '{"authToken": "<token>"} or {"token": "<token>"}')
NOT_CREDENTIALS = {"clientId"}
"""Keys an anonymous payload may carry."""


def socket_credentials(params: dict[str, Any]) -> str | None:
    """The Authorization header value the payload carries: `Authorization` in any case
    (graphql-ws's connectionParams), `headers.Authorization` (Apollo's and Hasura's docs), or
    a bare `authToken` / `token`. None for an anonymous payload (empty, or only a clientId).
    ValueError, saying what to send, for anything else, two different credentials (which one
    was meant?) or a token that is not text."""
    headers = params.get("headers")
    places = [*params.items(), *(headers.items() if isinstance(headers, dict) else ())]
    found = [value for key, value in places if isinstance(key, str) and key.lower() == "authorization"]
    found += [f"Bearer {bare}" if isinstance(bare, str) else bare
              for bare in (params.get("authToken"), params.get("token")) if bare is not None]
    if len({repr(value) for value in found}) > 1:
        raise ValueError("connection_init carries two different credentials; send one")
    if not found:
        if set(params) - NOT_CREDENTIALS:
            raise ValueError(f"connection_init carries no credentials this server reads; send {SHAPES}, "
                             "or nothing to be anonymous")
        return None
    if not isinstance(found[0], str):  # a list, a number: not a token
        raise ValueError("Invalid token: credentials must be a string")
    return found[0]
