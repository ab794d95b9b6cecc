"""Request traces through OpenTelemetry, off unless an OTLP endpoint is configured.

With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, every worker
exports over OTLP/HTTP: a span per HTTP request (the ASGI instrumentation, which also continues
a caller's W3C `traceparent`), Strawberry's spans for the operation, its parsing, validation
and resolvers, and one per SQL statement (the asyncpg instrumentation, statement text without
its parameters). The SDK's own settings apply (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER,
OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS...); OTEL_SDK_DISABLED=true turns it all off."""

from __future__ import annotations

import os
from typing import Any

from starlette.middleware import Middleware

SERVICE_NAME = "directory-gql"
NOT_TRACED = "health,metrics"

_provider: Any = None


def tracing_configured() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def start_tracing() -> None:
    """Once per process: the tracer provider, its OTLP exporter, and asyncpg's spans."""
    global _provider
    if _provider is not None:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # (Resource.create gives the attributes passed here precedence over OTEL_SERVICE_NAME.)
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": SERVICE_NAME}
    _provider = TracerProvider(resource=Resource.create(attributes))
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(_provider)
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]


def stop_tracing() -> None:
    """Send what is buffered before the process ends."""
    if _provider is not None:
        _provider.force_flush()


def traced() -> Middleware:
    """The ASGI instrumentation, outermost: a span for every request but /health and /metrics."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return Middleware(OpenTelemetryMiddleware, excluded_urls=NOT_TRACED, exclude_spans=["receive", "send"])


def graphql_extension() -> Any:
    """Strawberry's spans, without argument values (a password is an argument)."""
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return lambda: OpenTelemetryExtension(arg_filter=lambda _kwargs, _info: {})


def current_span_ids() -> tuple[str | None, str | None]:
    """The trace and span ids (hex) of what this task is doing, for log lines; None when off."""
    if _provider is None:
        return None, None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
