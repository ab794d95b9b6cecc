"""graphql-transport-ws as this server speaks it.

Two changes from Strawberry's handler:
- a document with a syntax error, an unknown operationName, or text that is not valid Unicode
  is answered with an `error` message for that operation, like a validation error, instead of
  closing the whole socket with 4400 (the reference server's choice), which would end every
  other subscription the client has on it;
- each operation's id and request are known to the resolvers it runs (CURRENT_OPERATION):
  the sync feed's subscriptions use them to join an audience (gql/realtime/audiences.py)
  and write their events to the socket themselves.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from gql.request_checks import request_text_problem


@dataclass(frozen=True)
class SocketOperation:
    id: str
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


CURRENT_OPERATION: ContextVar[SocketOperation | None] = ContextVar("socket_operation", default=None)
"""In an operation's task: the operation of the socket it runs for."""


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        return None  # (the reference closes the socket on a syntax error or an unknown operationName)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        problem = request_text_problem({"query": operation.query, "operationName": operation.operation_name})
        if problem:  # not text this server can hash or log (the HTTP edge refuses it as a 400)
            refused = GraphQLError(f"{problem}.", extensions={"code": "BAD_REQUEST"})
            await operation.send_initial_errors([refused])
            return
        CURRENT_OPERATION.set(SocketOperation(operation.id, operation.query, operation.variables,
                                              operation.operation_name))
        await super().run_operation(operation)
