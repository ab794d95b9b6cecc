"""The headers a client sends about itself: its device (X-Client-Id, the echo filter of the
sync feed) and the write it must read after (X-Read-After, read-your-writes on a replica)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gql.edge.client_ids import client_id_problem
from gql.edge.graphql_http import error_response
from gql.postgres.replica import READ_AFTER


class ClientHeaders:
    """Both checked (a 400 naming the header); in the state as `client_id` and `read_after`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        client_id, read_after = headers.get("x-client-id"), headers.get("x-read-after")
        problem = None
        if client_id is not None and (why := client_id_problem(client_id)) is not None:
            problem = f"Header X-Client-Id {why}"
        elif read_after is not None and not READ_AFTER.match(read_after):
            problem = ("Header X-Read-After must be the value a write answered with "
                       "(a WAL position such as 0/16B3740)")
        if problem is not None:
            await error_response(400, problem, code="BAD_REQUEST", accept=headers.get("accept"))(
                scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["client_id"], state["read_after"] = client_id, read_after
        await self.app(scope, receive, send)
