"""graphql-transport-ws as this server speaks it.

One change from Strawberry's handler (which follows the reference server here): a document
with a syntax error is answered with an `error` message for that operation, like a
validation error, instead of closing the whole socket with 4400, which would end every
other subscription the client has on it.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        if isinstance(error, GraphQLSyntaxError):
            return None
        return BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)
