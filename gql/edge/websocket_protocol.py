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

from gql.edge.persisted_documents import DOCUMENT_ID
from gql.edge.request_checks import BadRequest, check_fields
from gql.observability.metrics import count_errors


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

    async def handle_subscribe(self, message: Any) -> None:
        """Before the operation starts: the payload is checked as an HTTP request's body is
        (field types; text this server cannot hash or log, such as a lone surrogate), and a
        persisted document's hash or id in place of the document
        (`extensions.persistedQuery`, `documentId`) is looked up, as over HTTP; a refusal or a
        miss is an `error` for that operation."""
        payload, operation_id = message.get("payload"), message.get("id")
        if not (isinstance(payload, dict) and isinstance(operation_id, str) and self.connection_acknowledged
                and operation_id not in self.operations):
            await super().handle_subscribe(message)  # (the protocol's own refusals)
            return
        try:
            try:
                check_fields(payload)  # (the same checks as an HTTP request's)
            except BadRequest as refused:
                raise GraphQLError(str(refused), extensions={"code": refused.code}) from None
            persisted = getattr(self.view, "persisted", None)
            if persisted is not None and not payload.get("query"):
                given = payload.get("extensions")
                extensions: dict[str, Any] = given if isinstance(given, dict) else {}
                if isinstance(payload.get("documentId"), str):
                    extensions = {**extensions, DOCUMENT_ID: payload["documentId"]}
                if extensions:
                    message = {**message, "payload": {**payload, "query": await persisted.document_for(
                        None, extensions)}}
        except GraphQLError as refused:
            count_errors([refused])
            await self.send_message({"id": operation_id, "type": "error", "payload": [refused.formatted]})
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        CURRENT_OPERATION.set(SocketOperation(operation.id, operation.query, operation.variables,
                                              operation.operation_name))
        await super().run_operation(operation)
