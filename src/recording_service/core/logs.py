"""Log lines as text or as one JSON object per line (RECORDING_LOG_FORMAT), uvicorn's loggers included (plumbing).

A JSON line holds `time` (UTC, ISO 8601), `level`, `logger`, `message`, `request_id` (the request being served, or
null) and, on access lines (logger `recording_service.access`), `method`, `route` (the route's template, never the
raw path), `status` and `duration_ms`; an exception's traceback is in `exception`. The record is formatted after
the secret-path filter (core/redaction.py) has redacted its message, arguments and traceback, so a share link's
token is redacted here as in text lines.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set per request by the app's request-id middleware (app.py), read by every log line written while it is served.
REQUEST_ID: ContextVar[str | None] = ContextVar("log_request_id", default=None)
ACCESS_LOGGER = "recording_service.access"
# Fields an access line carries besides the message (set through `extra=`).
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """The logging configuration `serve` hands uvicorn: its own (colours and all) for text, else every logger —
    uvicorn's, the service's and the root — to one JSON handler on stderr."""
    if log_format != "json":
        from uvicorn.config import LOGGING_CONFIG

        return LOGGING_CONFIG
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "recording_service.core.logs.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
            "recording_service": {"level": level, "propagate": True},
        },
        "root": {"handlers": ["json"], "level": level},
    }


def use_json_logs(level: int = logging.INFO) -> None:
    """For a process not started by `serve` (a test's own app): the JSON configuration, applied now."""
    import logging.config

    logging.config.dictConfig(log_config("json", logging.getLevelName(level)))
