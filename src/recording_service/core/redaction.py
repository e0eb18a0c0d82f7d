"""Secrets carried in URL paths kept out of the logs (plumbing: it knows path prefixes, not what they are for).

A link like `/shared/<token>` is its own key: whoever reads it in a log file opens what it opens. uvicorn's
access log, its error log and the service's own log all name request paths; a filter on every handler (and on
the loggers that name paths) rewrites `<prefix><secret>` to `<prefix><redacted>` in the message, its arguments
and a formatted traceback, before any handler writes the record. Percent-encoded prefixes (a `next=` parameter)
are covered too.
"""

import logging
import re
from collections.abc import Iterable

REDACTED = "<redacted>"


def _pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    alternatives = []
    for prefix in prefixes:
        plain = re.escape(prefix)
        encoded = re.escape(prefix).replace("/", "(?:/|%2[Ff])")
        alternatives += [plain, encoded]
    return re.compile(f"({'|'.join(dict.fromkeys(alternatives))})[^/?#&\\s\"'<>%]+(?:%[0-9A-Fa-f]{{2}}[^/?#&\\s\"'<>%]*)*")


class SecretPathFilter(logging.Filter):
    def __init__(self, prefixes: Iterable[str]) -> None:
        super().__init__()
        self.pattern = _pattern(prefixes)

    def redact(self, text: str) -> str:
        return self.pattern.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self.redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "recording_service", "")


def install_secret_path_filter(prefixes: Iterable[str]) -> SecretPathFilter:
    """Put the filter on the loggers that name request paths and on every handler configured now (once each)."""
    flt = SecretPathFilter(prefixes)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    loggers += [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    targets: list[logging.Filterer] = [*loggers, *(h for logger in loggers for h in logger.handlers)]
    for target in dict.fromkeys(targets):
        if not any(isinstance(f, SecretPathFilter) for f in target.filters):
            target.addFilter(flt)
    return flt
