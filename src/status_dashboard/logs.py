"""Structured logs: one event per line on stderr, as `key=value` pairs (the default) or as JSON.

Every message of the service is written `event=name key=value ...`. The key=value format prints
it as it is, after the time, level and logger; the JSON format (`log_format=json`, or
`--log-format json`) makes each pair a field of one JSON object per line:

    {"ts": "2026-12-01T08:00:00.123Z", "level": "info", "logger": "status_dashboard.api.app",
     "event": "started", "seconds": 0.412}

A value may be quoted (`reason="connection refused"`); one that is a plain whole or decimal
number becomes a JSON number. A message not written as pairs (a library's) is kept whole as
`message`, with the event `message`. A traceback follows its line in key=value, and is the
`traceback` field in JSON.

While a request is answered, the lines it logs also carry `trace_id` (its answer's
BelGov-Trace-Id) and `related_trace_id` (the request's own BelGov-Trace-Id), bound by the HTTP
layer with `bind_trace`, unless the message names them itself.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from contextvars import ContextVar, Token
from typing import Any, Literal

import orjson

LogFormat = Literal["keyvalue", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("keyvalue", "json")

_Trace = tuple[str, str | None]
_trace: ContextVar[_Trace | None] = ContextVar("status_dashboard_log_trace", default=None)

_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"(?= |$)|[^ ]*)')
_WHOLE = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}")
_BASE_FIELDS = frozenset({"ts", "level", "logger"})


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NEEDS_QUOTES = re.compile(r'[ "\\]')


def log_value(text: str) -> str:
    """`text` as one value of a `key=value` message, whatever it holds: control characters
    written as `\\xNN` (a line break cannot start a forged line), and quoted when it has a space,
    a quote or a backslash (a space cannot start a forged pair)."""
    escaped = _CONTROL.sub(_escape_control, text)
    if escaped and not _NEEDS_QUOTES.search(escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _escape_control(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bind_trace(trace_id: str, related_trace_id: str | None) -> Token[_Trace | None]:
    """Until `unbind_trace`, lines logged in this context carry these trace ids."""
    return _trace.set((trace_id, related_trace_id))


def unbind_trace(token: Token[_Trace | None]) -> None:
    _trace.reset(token)


def message_fields(message: str) -> dict[str, Any] | None:
    """The `key=value` pairs of `message`, in order; None when it is not written as pairs.

    An unquoted value runs to the next pair, so `error=connection refused by peer` keeps its
    spaces; a quoted one is unquoted.
    """
    fields: dict[str, Any] = {}
    last: str | None = None
    position, end = 0, len(message)
    while position < end:
        if message[position] == " ":
            position += 1
            continue
        pair = _PAIR.match(message, position)
        if pair is not None:
            last = pair.group(1)
            fields[last] = _value(pair.group(2))
            position = pair.end()
            continue
        if last is None:
            return None
        word_end = message.find(" ", position)
        word_end = end if word_end < 0 else word_end
        fields[last] = f"{fields[last]} {message[position:word_end]}"
        position = word_end
    return fields or None


def _value(raw: str) -> Any:
    if raw.startswith('"') and len(raw) >= 2:
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if _WHOLE.fullmatch(raw):
        return int(raw)
    if _DECIMAL.fullmatch(raw):
        return float(raw)
    return raw


def _trace_fields(already: str) -> list[tuple[str, str]]:
    """The bound trace ids the message does not name itself."""
    bound = _trace.get()
    if bound is None:
        return []
    trace_id, related = bound
    fields = [] if " trace_id=" in f" {already}" else [("trace_id", trace_id)]
    if related is not None and "related_trace_id=" not in already:
        fields.append(("related_trace_id", related))
    return fields


class KeyValueFormatter(logging.Formatter):
    """`ts=2026-12-01T08:00:00Z level=info logger=... event=... key=value`; tracebacks follow."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        # Whatever a message holds, it stays on its one line: a traceback alone may follow.
        message = _CONTROL.sub(_escape_control, record.getMessage())
        line = f"ts={stamp} level={record.levelname.lower()} logger={record.name} {message}"
        for key, value in _trace_fields(message):
            line += f" {key}={value}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `ts`, `level`, `logger`, `event`, then the message's pairs."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        document: dict[str, Any] = {
            "ts": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        message = record.getMessage()
        fields = message_fields(message)
        if fields is None or "event" not in fields:
            document["event"] = "message"
            document["message"] = message
        else:
            document["event"] = fields.pop("event")
            for key, value in fields.items():
                # The record's own fields win: a message cannot pass for another logger.
                if key not in _BASE_FIELDS:
                    document[key] = value
        for key, value in _trace_fields(message):
            document[key] = value
        if record.exc_info:
            document["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(document, default=str).decode("utf-8")


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else KeyValueFormatter()


def configure_logging(level: str, log_format: LogFormat = "keyvalue") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(log_format))
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
