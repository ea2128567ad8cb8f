"""How the public pages write statuses, moments, percentages and the daily bars, per language.

Pure functions of their arguments (the moment `now` included), so that a page rendered twice in
the same minute is the same page, byte for byte, and its ETag holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from html import escape

from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.timestamps import wire_timestamp
from status_dashboard.service.status_page import DayBar
from status_dashboard.web.public.i18n import Messages

ICONS = {
    StatusCode.OPERATIONAL: "✔",
    StatusCode.DISRUPTED: "✖",
    StatusCode.UNKNOWN: "?",
}
"""Status is never told by colour alone: each code has its own shape and its word too. The
characters have no emoji form, so no platform paints them in colours of its own."""

BAR_WIDTH = 3
BAR_GAP = 1
BAR_HEIGHT = 28
NO_DATA_HEIGHT = 8


def iso(moment: datetime, zone: tzinfo) -> str:
    """For `<time datetime>`: the v1 wire form, with the deployment's offset."""
    return wire_timestamp(moment, zone)


def date_text(moment: datetime, messages: Messages, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return messages("date", day=local.day, month=messages(f"month.{local.month}"), year=local.year)


def date_time_text(moment: datetime, messages: Messages, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return messages(
        "date_time",
        day=local.day,
        month=messages(f"month.{local.month}"),
        year=local.year,
        time=local.strftime("%H:%M"),
    )


def relative_text(moment: datetime, now: datetime, messages: Messages) -> str:
    """ "just now", "5 min ago", "3 h ago", "1 day ago", "12 days ago"; a moment ahead of `now`
    (clocks a little apart) is "just now"."""
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return messages("just_now")
    if minutes < 60:
        return messages("minutes_ago", n=minutes)
    hours = minutes // 60
    if hours < 24:
        return messages("hours_ago", n=hours)
    days = hours // 24
    return messages("day_ago" if days == 1 else "days_ago", n=days)


def percent_text(ratio: float | None, messages: Messages) -> str:
    """Two decimals, cut rather than rounded, so that 99.996 % never reads as a spotless 100 %;
    None (no data) is said in words."""
    if ratio is None:
        return messages("uptime.no_data")
    if ratio >= 1:
        value = "100"
    else:
        value = f"{math.floor(ratio * 10000) / 100:.2f}".replace(".", messages("decimal"))
    return messages("percent", value=value)


def incidents_text(count: int, messages: Messages) -> str:
    if count == 0:
        return messages("count.incidents.0")
    if count == 1:
        return messages("count.incidents.1")
    return messages("count.incidents.n", n=count)


def public_reason(reason: str) -> tuple[str, str | None]:
    """(kind, detail) of a history reason, fit to publish: which rule decided, and for checks
    their short human reason; never who (operators' names stay on the admin side).

    Reasons read `<source>: <detail>` (domain.history) or `catalog ...` (domain.catalog).
    """
    source, _, detail = reason.partition(":")
    source, detail = source.strip(), detail.strip()
    if source.startswith("catalog"):
        return "catalog", None
    if source in ("incident", "maintenance"):
        number = detail.rpartition("#")[2]
        return source, number if number.isascii() and number.isdigit() else None
    if source == "checks":
        return "checks", detail or None
    if source in ("override", "stale", "monitor-down", "manual"):
        return source, None
    return "other", None


def reason_text(reason: str, messages: Messages) -> str:
    """A history reason in public words (`public_reason`), in the page's language."""
    kind, detail = public_reason(reason)
    text = messages(f"reason.{kind}")
    if kind in ("incident", "maintenance") and detail:
        return f"{text} #{detail}"
    if kind == "checks" and detail:
        return f"{text}: {detail}"
    return text


def bar_css(bar: DayBar) -> str:
    code = bar.code
    return "d0" if code is None else f"d{int(code)}"


def bars_width(count: int) -> int:
    return max(0, count * (BAR_WIDTH + BAR_GAP) - BAR_GAP)


class BarPainter:
    """Draws daily bars as inline SVG: a `<rect>` per day with its `<title>` tooltip (date,
    uptime, incidents), the whole summarised in words for those who do not see it.

    Built as strings rather than in the template, and each distinct bar only once per page:
    a page has thousands of bars, most of them alike (the same day, fully up, no incident),
    and this is the difference between a few milliseconds and a few hundred per render.
    """

    def __init__(self, messages: Messages) -> None:
        self._messages = messages
        self._dates: dict[date, str] = {}
        self._rects: dict[tuple[int, date, str, str, int], str] = {}

    def svg(self, days: Sequence[DayBar]) -> str:
        parts = [
            f'<svg class="bars" viewBox="0 0 {bars_width(len(days))} {BAR_HEIGHT}" '
            'preserveAspectRatio="none" role="img" '
            f'aria-label="{escape(bars_summary(days, self._messages))}" focusable="false">'
        ]
        for index, day in enumerate(days):
            code = day.code
            uptime = "" if code is None else percent_text(day.uptime, self._messages)
            key = (index, day.day, bar_css(day), uptime, day.incidents)
            rect = self._rects.get(key)
            if rect is None:
                rect = self._rects[key] = self._rect(index, day, code, uptime)
            parts.append(rect)
        parts.append("</svg>")
        return "".join(parts)

    def _rect(self, index: int, day: DayBar, code: StatusCode | None, uptime: str) -> str:
        messages = self._messages
        when = self._dates.get(day.day)
        if when is None:
            when = self._dates[day.day] = messages(
                "date", day=day.day.day, month=messages(f"month.{day.day.month}"), year=day.day.year
            )
        incidents = incidents_text(day.incidents, messages)
        if code is None:
            title = messages("bar.no_data", date=when, incidents=incidents)
            height = NO_DATA_HEIGHT
        else:
            title = messages("bar.title", date=when, uptime=uptime, incidents=incidents)
            height = BAR_HEIGHT
        return (
            f'<rect x="{index * (BAR_WIDTH + BAR_GAP)}" y="{BAR_HEIGHT - height}" '
            f'width="{BAR_WIDTH}" height="{height}" class="{bar_css(day)}">'
            f"<title>{escape(title)}</title></rect>"
        )


def bars_summary(days: Sequence[DayBar], messages: Messages) -> str:
    """The bars in one sentence, for those who do not see them."""
    disrupted = sum(1 for day in days if day.code is StatusCode.DISRUPTED)
    empty = sum(1 for day in days if day.code is None)
    return messages("bars.label", summary=messages("bars.summary", disrupted=disrupted, none=empty))
