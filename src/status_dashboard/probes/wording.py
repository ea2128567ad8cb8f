"""How probes put numbers and values into reasons, so every reason reads the same way."""

from __future__ import annotations

import json
from datetime import timedelta

_SHOWN_CHARS = 60


def seconds(value: float) -> str:
    """`5 s`, `0.5 s`: a configured duration as written."""
    return f"{value:g} s"


def milliseconds(value: float) -> str:
    """`2,340 ms`: thousands separated, since these are read at a glance."""
    return f"{value:,.0f} ms"


def elapsed(span: timedelta) -> str:
    """A measured span, rounded to the unit a person would use: `45 s`, `3 min`, `5 h`, `2 days`."""
    total = max(span.total_seconds(), 0.0)
    if total < 120:
        return f"{total:.0f} s"
    if total < 120 * 60:
        return f"{total // 60:.0f} min"
    if total < 48 * 3600:
        return f"{total // 3600:.0f} h"
    return f"{total // 86400:.0f} days"


def days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def value(data: object) -> str:
    """A JSON value as a reason shows it: strings quoted, JSON spelling, cut short."""
    if isinstance(data, str):
        # Plain quotes read best ('UP'); repr only where it must show a control character.
        shown = f"'{data}'" if data.isprintable() else repr(data)
    else:
        try:
            shown = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
        except (TypeError, ValueError):
            shown = repr(data)
    return shown if len(shown) <= _SHOWN_CHARS else shown[: _SHOWN_CHARS - 1] + "…"
