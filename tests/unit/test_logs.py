"""The log formats: key=value as written, JSON with every pair a field, trace ids of the request."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import pytest

from status_dashboard.logs import (
    JsonFormatter,
    KeyValueFormatter,
    bind_trace,
    message_fields,
    unbind_trace,
)

FIELDS_OF_MESSAGE: list[tuple[str, dict[str, Any] | None]] = [
    ("event=started seconds=0.412", {"event": "started", "seconds": 0.412}),
    ("event=listening url=http://127.0.0.1:8000 pid=4242", {"event": "listening", "url": "http://127.0.0.1:8000", "pid": 4242}),
    ("event=x count=-3 ratio=-0.5", {"event": "x", "count": -3, "ratio": -0.5}),
    # Not plain numbers: kept as they were written.
    ("event=x id=0012 hex=1e5 big=1234567890123456789", {"event": "x", "id": "0012", "hex": "1e5", "big": "1234567890123456789"}),
    ("event=x clean=yes empty=", {"event": "x", "clean": "yes", "empty": ""}),
    ("event=probe_failed error=connection refused by peer check=7", {"event": "probe_failed", "error": "connection refused by peer", "check": 7}),
    ('event=listen_lost reason="server closed the connection" retry_in=0.50', {"event": "listen_lost", "reason": "server closed the connection", "retry_in": 0.5}),
    ('event=x said="a \\"quoted\\" word"', {"event": "x", "said": 'a "quoted" word'}),
    ("event=x url=http://h/?a=b&c=d", {"event": "x", "url": "http://h/?a=b&c=d"}),
    ("event=x  doubled=spaces", {"event": "x", "doubled": "spaces"}),
    ("event=catalog_loaded file=/tmp/my catalogs/demo.yaml changes=3", {"event": "catalog_loaded", "file": "/tmp/my catalogs/demo.yaml", "changes": 3}),
    ("Task exception was never retrieved", None),
    ("", None),
]  # fmt: skip


@pytest.mark.parametrize(("message", "fields"), FIELDS_OF_MESSAGE)
def test_a_message_is_read_as_its_key_value_pairs(
    message: str, fields: dict[str, Any] | None
) -> None:
    assert message_fields(message) == fields


def record(
    message: str, *args: object, level: int = logging.INFO, **extra: Any
) -> logging.LogRecord:
    return logging.LogRecord(
        "status_dashboard.test", level, __file__, 1, message, args, None, **extra
    )


def as_json(rec: logging.LogRecord) -> dict[str, Any]:
    line = JsonFormatter().format(rec)
    assert "\n" not in line, "one event, one line"
    parsed: dict[str, Any] = orjson.loads(line)
    return parsed


def test_a_json_line_has_the_time_level_logger_event_and_every_pair() -> None:
    line = as_json(record("event=started seconds=%.3f workers=%s", 0.4121, 2))
    assert line == {
        "ts": line["ts"],
        "level": "info",
        "logger": "status_dashboard.test",
        "event": "started",
        "seconds": 0.412,
        "workers": 2,
    }
    assert line["ts"].endswith("Z")
    assert len(line["ts"]) == len("2026-12-01T08:00:00.123Z")


def test_a_message_not_written_as_pairs_is_kept_whole() -> None:
    line = as_json(record("Task exception was never retrieved", level=logging.ERROR))
    assert (line["level"], line["event"]) == ("error", "message")
    assert line["message"] == "Task exception was never retrieved"


def test_a_message_cannot_overwrite_the_lines_own_fields() -> None:
    line = as_json(record("event=x level=debug logger=elsewhere ts=0 user=ada"))
    assert (line["level"], line["logger"], line["user"]) == ("info", "status_dashboard.test", "ada")
    assert line["ts"] != 0


def test_a_traceback_is_a_field_of_the_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = record("event=unhandled_error trace_id=abc", level=logging.ERROR)
        failed.exc_info = sys.exc_info()
    line = as_json(failed)
    assert line["event"] == "unhandled_error"
    assert line["trace_id"] == "abc"
    assert line["traceback"].startswith("Traceback (most recent call last):")
    assert line["traceback"].rstrip().endswith("ValueError: boom")


def test_a_key_value_line_is_the_message_after_time_level_and_logger_then_its_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = record("event=probe_crashed check=%s", 7, level=logging.ERROR)
        failed.exc_info = sys.exc_info()
    first, *rest = KeyValueFormatter().format(failed).split("\n")
    assert first.startswith("ts=")
    assert first.endswith(" level=error logger=status_dashboard.test event=probe_crashed check=7")
    assert rest[0] == "Traceback (most recent call last):"


@pytest.mark.parametrize("formatter", [JsonFormatter(), KeyValueFormatter()])
def test_lines_logged_while_a_request_is_answered_carry_its_trace_ids(
    formatter: logging.Formatter,
) -> None:
    token = bind_trace("8a1c0c1e-0000-4000-8000-000000000001", "partner-trace-7")
    try:
        text = formatter.format(record("event=login_failed address=%s", "127.0.0.1"))
    finally:
        unbind_trace(token)
    after = formatter.format(record("event=login_failed address=%s", "127.0.0.1"))
    fields = orjson.loads(text) if text.startswith("{") else message_fields(text)
    assert fields is not None
    assert fields["trace_id"] == "8a1c0c1e-0000-4000-8000-000000000001"
    assert fields["related_trace_id"] == "partner-trace-7"
    assert "trace_id" not in after, "outside the request, no trace ids"


def test_a_message_that_names_its_trace_id_keeps_it_once() -> None:
    token = bind_trace("bound-id", None)
    try:
        text = KeyValueFormatter().format(record("event=unhandled_error trace_id=own-id"))
        line = as_json(record("event=unhandled_error trace_id=own-id"))
    finally:
        unbind_trace(token)
    assert text.count("trace_id=") == 1
    assert text.endswith("trace_id=own-id")
    assert line["trace_id"] == "own-id"
    assert "related_trace_id" not in line
