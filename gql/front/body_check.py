"""The first layer: the request's body read, bounded and checked before anything else runs."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gql.edge.graphql_http import error_response
from gql.edge.request_checks import BadRequest, check_request


class BodyCheck:
    """A refusal is a 4xx naming what was wrong; what passes goes on with its body replayed,
    a JSON POST's parsed body in the state as `body`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_batch: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch = max_batch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            checked = await check_request(scope, receive, self.max_body_bytes, self.max_batch)
        except BadRequest as refused:
            await error_response(refused.status, str(refused), code=refused.code,
                                 accept=Headers(scope=scope).get("accept"))(scope, receive, send)
            return
        scope.setdefault("state", {})["body"] = checked.body
        await self.app(scope, checked.receive, send)
