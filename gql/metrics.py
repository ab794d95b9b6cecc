"""GET /metrics: Prometheus text exposition of what an operator watches."""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestCounter:
    """ASGI middleware counting HTTP responses by status code into `by_status`."""

    def __init__(self, app: ASGIApp, by_status: Counter[int]) -> None:
        self.app = app
        self.by_status = by_status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.by_status[message["status"]] += 1
            await send(message)

        await self.app(scope, receive, counting_send)


def render(by_status: Counter[int], graphql: Any) -> str:
    lines = ["# HELP gql_http_responses_total HTTP responses sent, by status code.",
             "# TYPE gql_http_responses_total counter"]
    lines += [f'gql_http_responses_total{{status="{status}"}} {count}'
              for status, count in sorted(by_status.items())]
    pool, hub, live = graphql.pool, graphql.hub, graphql.live
    gauges = {
        "gql_db_pool_size": ("Connections in the pool.", pool.get_size() if pool else 0),
        "gql_db_pool_idle": ("Idle connections in the pool.", pool.get_idle_size() if pool else 0),
        "gql_subscriptions_active": ("Live change-feed subscriptions in this process.",
                                     graphql.subscription_count),
        "gql_subscription_audiences": ("Distinct answers the live feed computes per change in this process.",
                                       live.audience_count if live else 0),
        "gql_change_log_position": ("Last change-log position this process has read.",
                                    hub.position if hub else 0),
    }
    for name, (text, value) in gauges.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {value}"]
    lines += ["# HELP gql_live_messages_total Messages the live feed has written to sockets.",
              "# TYPE gql_live_messages_total counter",
              f"gql_live_messages_total {live.delivered if live else 0}"]
    lines += ["# HELP gql_change_listener_reconnects_total Times the LISTEN connection was re-established.",
              "# TYPE gql_change_listener_reconnects_total counter",
              f"gql_change_listener_reconnects_total {hub.reconnects if hub else 0}"]
    replica = getattr(graphql, "replica", None)
    if replica is not None:  # NaN while the replica is unreachable (out of the rotation)
        lag = "NaN" if replica.lag_seconds is None else f"{replica.lag_seconds:.3f}"
        lines += ["# HELP gql_replica_lag_seconds How far the read replica is behind the primary.",
                  "# TYPE gql_replica_lag_seconds gauge", f"gql_replica_lag_seconds {lag}",
                  "# HELP gql_replica_reads_total Compiled reads the replica answered.",
                  "# TYPE gql_replica_reads_total counter", f"gql_replica_reads_total {replica.reads}",
                  "# HELP gql_replica_fallbacks_total Reads the primary answered: replica down or behind.",
                  "# TYPE gql_replica_fallbacks_total counter",
                  f"gql_replica_fallbacks_total {replica.fallbacks}"]
    return "\n".join(lines) + "\n"


def metrics_endpoint(by_status: Counter[int], graphql: Any) -> Any:
    async def metrics(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(render(by_status, graphql), media_type="text/plain; version=0.0.4")
    return metrics
