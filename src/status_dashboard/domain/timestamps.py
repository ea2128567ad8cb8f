"""How the v1 contract writes a moment: ISO 8601, second precision, the deployment's UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def wire_timestamp(moment: datetime, zone: tzinfo) -> str:
    """`2025-05-09T08:55:00+02:00` for a moment in Brussels summer time.

    Raises ValueError for a naive datetime: a moment without an offset is a bug upstream.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a wire timestamp needs an aware datetime")
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC; naive values are taken as UTC (how SQLite hands them back)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
