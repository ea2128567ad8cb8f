"""Conditional requests (RFC 9110 §13.1), as the real dashboard path answers them: If-None-Match
decides when present, If-Modified-Since only without it."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

from status_dashboard.service.snapshot import RenderedDashboard, Representation


def not_modified(
    dashboard: RenderedDashboard,
    chosen: Representation,
    if_none_match: bytes,
    if_modified_since: bytes,
) -> bool:
    """True when the client already holds `chosen`, so a 304 answers."""
    if if_none_match:
        return any(
            tag == b"*" or tag.removeprefix(b"W/") == chosen.etag
            for tag in (part.strip() for part in if_none_match.split(b","))
        )
    if if_modified_since:
        since = _http_date(if_modified_since)
        return since is not None and dashboard.last_modified.timestamp() <= since
    return False


def _http_date(value: bytes) -> float | None:
    try:
        moment: Any = parsedate_to_datetime(value.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return float(moment.timestamp())
