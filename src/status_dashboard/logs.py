"""Structured logs: one event per line, key=value, to stderr."""

from __future__ import annotations

import logging
import sys
import time


class KeyValueFormatter(logging.Formatter):
    """`ts=2026-12-01T08:00:00Z level=info logger=... event=... key=value`; tracebacks follow."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        line = f"ts={stamp} level={record.levelname.lower()} logger={record.name} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The embedded server's own start-up chatter is replaced by our one `event=listening` line.
    logging.getLogger("granian").setLevel(logging.ERROR)
    logging.getLogger("_granian").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request of every HTTP check at INFO: the results say it better.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
