"""Request traces through OpenTelemetry, off unless an OTLP endpoint is configured.

With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, every worker
exports over OTLP/HTTP: a span per HTTP request (the ASGI instrumentation, which also continues
a caller's W3C `traceparent`), Strawberry's spans for the operation, its parsing, validation
and resolvers, and one per SQL statement within a request (the asyncpg instrumentation,
statement text without its parameters). Nothing a client sent is recorded: not the document,
not argument values, not the query string. The SDK's own settings apply (OTEL_SERVICE_NAME,
OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS...); OTEL_SDK_DISABLED=true turns
it all off."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from typing import Any

from starlette.middleware import Middleware

SERVICE_NAME = "directory-gql"
NOT_TRACED = "/health$,/metrics$"  # (regular expressions searched in the request's URL)
MAX_ATTRIBUTE_LENGTH = 2048
NOT_RECORDED = "(not recorded)"

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
    from opentelemetry.sdk.trace import SpanLimits, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased

    # (Resource.create gives the attributes passed here precedence over OTEL_SERVICE_NAME.)
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": SERVICE_NAME}
    limits = None if os.environ.get("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") \
        else SpanLimits(max_attribute_length=MAX_ATTRIBUTE_LENGTH)
    sampler = None if os.environ.get("OTEL_TRACES_SAMPLER") else ParentBased(root=_within_requests())
    _provider = TracerProvider(resource=Resource.create(attributes), span_limits=limits, sampler=sampler)
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(_provider)
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]


def stop_tracing() -> None:
    """Send what is buffered before the process ends."""
    if _provider is not None:
        _provider.force_flush()


def traced() -> Middleware:
    """The ASGI instrumentation, outermost: a span for every request but /health and /metrics,
    its URL without the query string (a GET's variables may hold personal data)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return Middleware(OpenTelemetryMiddleware, excluded_urls=NOT_TRACED, exclude_spans=["receive", "send"],
                      server_request_hook=_without_query_string)


def _without_query_string(span: Any, scope: dict[str, Any]) -> None:
    if not span.is_recording() or not scope.get("query_string"):
        return
    for key, value in dict(getattr(span, "attributes", None) or {}).items():
        if key == "url.query":
            span.set_attribute(key, NOT_RECORDED)
        elif key in {"http.url", "http.target", "url.full"} and isinstance(value, str):
            span.set_attribute(key, value.split("?", 1)[0])


def graphql_extension() -> Any:
    """Strawberry's spans without what a client sent: the document (its literals may hold a
    password) and argument values are not recorded."""
    from strawberry.extensions import LifecycleStep
    from strawberry.extensions.tracing import OpenTelemetryExtension

    class OperationSpans(OpenTelemetryExtension):
        def on_operation(self) -> Generator[None, None, None]:
            spans = super().on_operation()
            next(spans)  # the operation's span has started, with the document as `query`
            self._span_holder[LifecycleStep.OPERATION].set_attribute("query", NOT_RECORDED)
            yield
            with contextlib.suppress(StopIteration):
                next(spans)

    return lambda: OperationSpans(arg_filter=lambda _kwargs, _info: {})


def _within_requests() -> Any:
    """A root sampler leaving out root spans of SQL statements (health checks, scrapes, the
    change listener, upkeep): a statement is traced as part of a request."""
    from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
    from opentelemetry.trace import SpanKind

    class WithinRequests(Sampler):
        def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None,
                          attributes: Any = None, links: Any = None, trace_state: Any = None) -> Any:
            if kind is SpanKind.CLIENT:
                return SamplingResult(Decision.DROP)
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

        def get_description(self) -> str:
            return "WithinRequests"

    return WithinRequests()


def current_span_ids() -> tuple[str | None, str | None]:
    """The trace and span ids (hex) of what this task is doing, for log lines; None when off."""
    if _provider is None:
        return None, None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
