"""Subscriptions over HTTP: Strawberry's graphql-sse and multipart transports, with the SSE
events framed by bare line feeds. Both are valid server-sent events, but urql's parser splits
the stream on "\\n\\n" only and never found the end of a CRLF-framed event."""

from __future__ import annotations

from collections.abc import Mapping

from strawberry.http.streaming import HTTPStreamTransport, MultipartSubscriptionTransport, SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL


class LineFeedSSE(SSETransport):
    def encode_event(self, event: str, data: str | None = None) -> str:
        if data and ("\r" in data or "\n" in data):
            raise ValueError("SSE event data must not contain newlines")
        return f"event: {event}\ndata: {data or ''}\n\n"

    def encode_comment(self, comment: str) -> str:
        return f": {comment}\n\n"


TRANSPORTS: Mapping[str, type[HTTPStreamTransport]] = {
    MULTIPART_SUBSCRIPTION_PROTOCOL: MultipartSubscriptionTransport, GRAPHQL_SSE_PROTOCOL: LineFeedSSE}
