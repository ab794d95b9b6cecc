"""Which web pages may call the API: one setting for CORS (HTTP) and for the Origin check of
WebSocket handshakes, which browsers do not subject to CORS.

GQL_ALLOWED_ORIGINS is a comma-separated list of origins (`https://app.example.com`), or `*`
for any. Unset, the development default admits pages served from this machine
(`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`). A page served by this server
itself (GraphiQL) is always admitted, and so is a client that sends no Origin (not a browser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEVELOPMENT_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


@dataclass(frozen=True)
class AllowedOrigins:
    pattern: str
    """A regular expression an origin must match in full."""

    @classmethod
    def parse(cls, setting: str | None) -> AllowedOrigins:
        if not setting:
            return cls(DEVELOPMENT_ORIGINS)
        origins = [o.strip().rstrip("/") for o in setting.split(",") if o.strip()]
        if "*" in origins:
            return cls(".*")
        return cls("|".join(re.escape(o) for o in origins))

    def allows(self, origin: str) -> bool:
        return re.fullmatch(self.pattern, origin.rstrip("/")) is not None


REQUEST_HEADERS = ("authorization", "content-type", "x-client-id", "x-read-after",
                   # W3C trace context: a browser's OpenTelemetry continues its trace here
                   "traceparent", "tracestate",
                   # Apollo Client's own (client awareness, CSRF prevention)
                   "apollographql-client-name", "apollographql-client-version", "apollo-require-preflight",
                   "x-apollo-operation-name")
"""The request headers a page may send (CORS preflights); GQL_CORS_ALLOW_HEADERS adds more."""


def allowed_request_headers(setting: str | None) -> tuple[str, ...]:
    added = [h.strip().lower() for h in (setting or "").split(",") if h.strip()]
    return tuple(dict.fromkeys([*REQUEST_HEADERS, *added]))
