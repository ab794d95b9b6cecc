"""Who is asking: a bad token is refused before GraphQL runs, since a client that sent
credentials must never be served silently as anonymous."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gql.edge.graphql_http import error_response
from gql.identity.auth import InvalidToken, identity_from_authorization
from gql.identity.token_holders import KeyRateLimited, TokenHolders
from gql.postgres.outage import DATABASE_LOST, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, DatabaseUnavailable


class Credentials:
    """The identity of the Authorization header (a JWT or an API key, checked against the
    database through TokenHolders) in the state as `identity`."""

    def __init__(self, app: ASGIApp, holders: Callable[[], TokenHolders], jwt_secret: str) -> None:
        self.app = app
        self.holders = holders
        """The app's, made when it starts (its lifespan)."""
        self.jwt_secret = jwt_secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        accept = headers.get("accept")
        try:
            identity = await self.holders().current(
                identity_from_authorization(headers.get("authorization"), self.jwt_secret))
        except DATABASE_LOST:
            response = error_response(503, DatabaseUnavailable().message, code=SERVICE_UNAVAILABLE,
                                      accept=accept, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except InvalidToken as exc:
            response = error_response(401, f"Invalid token: {exc}", code="UNAUTHENTICATED", accept=accept,
                                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        except KeyRateLimited:
            response = error_response(429, "Too many requests with this API key; retry shortly.",
                                      code="RATE_LIMITED", accept=accept, headers={"Retry-After": "1"})
        else:
            scope.setdefault("state", {})["identity"] = identity
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
