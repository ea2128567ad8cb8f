"""The per-request access log (`--access-log`): Granian's line, written by our formatters.

Granian builds the line's values from the request as it came: a path is percent-decoded, so
`%0A` is a line break and `%20x=y` a space and a forged pair, and the push heartbeat's path
holds its check's secret token. `AccessLineFilter` makes each value safe before the line is
formatted: control characters escaped, values with spaces quoted, tokens masked.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from status_dashboard.logs import log_value

ACCESS_LOGGER = "granian.access"
ACCESS_FORMAT = (
    "event=access client=%(addr)s method=%(method)s path=%(path)s query=%(query_string)s "
    "status=%(status)d ms=%(dt_ms).3f"
)
MASK = "***"

_SECRET_PATHS = re.compile(r"^(/api/v1/push/)[^/]+")
"""Paths whose segment after the prefix is a credential: the push heartbeat's token."""

_SECRET_PARAMETER = re.compile(r"token|secret|password", re.IGNORECASE)


def masked_path(path: str) -> str:
    return _SECRET_PATHS.sub(rf"\g<1>{MASK}", path)


def masked_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, MASK if _SECRET_PARAMETER.search(name) else value) for name, value in pairs],
        safe="*/:",
    )


class AccessLineFilter(logging.Filter):
    """Masks and escapes the request's values of an access line before it is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            values: dict[str, Any] = dict(record.args)
            values["path"] = log_value(masked_path(str(values.get("path", ""))))
            values["query_string"] = log_value(masked_query(str(values.get("query_string", ""))))
            values["method"] = log_value(str(values.get("method", "")))
            values["addr"] = log_value(str(values.get("addr", "")))
            record.args = values
        return True


def access_log_config() -> dict[str, Any]:
    """Granian's logging configuration with its access lines handed to the root logger's
    handler (our key=value or JSON formatter), through `AccessLineFilter`."""
    return {
        "filters": {"access_line": {"()": AccessLineFilter}},
        "loggers": {
            "_granian": {"handlers": [], "level": "ERROR", "propagate": True},
            ACCESS_LOGGER: {
                "handlers": [],
                "level": "INFO",
                "propagate": True,
                "filters": ["access_line"],
            },
        },
    }
