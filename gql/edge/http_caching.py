"""What HTTP caches may do with an answer to GET /graphql (reads only: GET exists so that
caches and CDNs can serve them).

- `Vary: Accept, Authorization`: the same URL answers GraphiQL (text/html) or JSON by Accept,
  and another caller's credentials may see other rows. (CORS adds Origin.)
- `Cache-Control: public, max-age=N` (GQL_GET_MAX_AGE_SECONDS, default 10; 0 turns it off)
  only for an anonymous read that succeeded: status 200, no errors, no credentials and no
  read-your-writes position sent. Anything else is `private, no-store`: an answer for one
  caller, an error (a persisted query not found yet), GraphiQL's page.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import Message, Send

PERSONAL_HEADERS = ("authorization", "cookie", "x-read-after")
"""Request headers that make an answer the caller's own."""
FAILED = "gql_failed"
"""request.state flag: the GraphQL result had errors (set by the view's process_result)."""


def labelled_for_caches(request: Request, send: Send, max_age: int) -> Send:
    """`send`, labelling the response to a GET as the module says (every GET response: those
    refused before GraphQL ran too)."""
    async def labelled(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
            headers["Vary"] = ", ".join(dict.fromkeys([*vary, "Accept", "Authorization"]))
            # (process_result never ran for GraphiQL's page or a request refused before
            # GraphQL: no flag, not shared)
            succeeded = message["status"] == 200 and getattr(request.state, FAILED, True) is False
            shared = (max_age > 0 and succeeded and not any(request.headers.get(h) for h in PERSONAL_HEADERS))
            headers["Cache-Control"] = f"public, max-age={max_age}" if shared else "private, no-store"
        await send(message)
    return labelled
