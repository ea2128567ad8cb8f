"""Shields-style SVG status badges, for other sites to embed:

    /badges/{env}.svg              the environment's overall status (the roll-up of its groups)
    /badges/items/{item_id}.svg    one item's status

A badge is a label ("status", or the item's name shortened) and the status word on a coloured
ground: the word says it, the colour only repeats it. `?label=` replaces the label (1 to 40
printable characters) and `?style=` is `flat` (the default) or `flat-square`; a bad value is a
400 problem naming the parameter. An unknown environment or item is a grey "not found" badge
with status 404, so that a page embedding a badge whose item was removed still shows why.

Widths come from a table of Verdana's advance widths at 11 px: no font is measured, so a badge
is the same bytes wherever it is rendered, and `textLength` holds the text to the computed width
should the viewer's font differ.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from html import escape
from typing import Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from status_dashboard.domain.errors import NotFoundError, UnknownEnvironment
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.accounts import InvalidInput
from status_dashboard.service.feed_source import PublicFeeds
from status_dashboard.service.public_feeds import environment_status, xml_text
from status_dashboard.web.cacheable import CORS, cacheable

SVG = "image/svg+xml"
Style = Literal["flat", "flat-square"]
STYLES: tuple[Style, ...] = ("flat", "flat-square")
LABEL_LIMIT = 40
NAME_LIMIT = 32
"""Longer item names are cut at a word: a badge sits in a line of text. Its title has it all."""
HEIGHT = 20
PADDING = 6

LABEL_COLOUR = "#555"
# Each ground keeps white 11 px text at a contrast of at least 4.5:1 (WCAG 2.1 AA).
STATUS_LOOK = {
    StatusCode.OPERATIONAL: ("operational", "#1a7f37"),
    StatusCode.DISRUPTED: ("disrupted", "#c62828"),
    StatusCode.UNKNOWN: ("unknown", "#6e7781"),
}
NOT_FOUND = ("not found", "#6e7781")

# A badge is also a document: if one is opened on its own, nothing in it may run or load.
_HEADERS = {
    **CORS,
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
}

_WIDTHS = {
    " ": 3.9, "!": 4.3, '"': 5.1, "#": 9.0, "$": 7.0, "%": 12.3, "&": 8.0, "'": 3.0,
    "(": 5.0, ")": 5.0, "*": 7.0, "+": 9.0, ",": 4.0, "-": 5.0, ".": 4.0, "/": 5.0,
    ":": 5.0, ";": 5.0, "<": 9.0, "=": 9.0, ">": 9.0, "?": 6.0, "@": 11.0, "[": 5.0,
    "\\": 5.0, "]": 5.0, "^": 9.0, "_": 7.0, "`": 7.0, "{": 7.0, "|": 5.0, "}": 7.0,
    "~": 9.0,
    **dict.fromkeys("0123456789", 7.0),
    "a": 6.7, "b": 6.9, "c": 5.8, "d": 6.9, "e": 6.6, "f": 3.9, "g": 6.9, "h": 7.0,
    "i": 3.0, "j": 3.8, "k": 6.5, "l": 3.0, "m": 10.7, "n": 7.0, "o": 6.7, "p": 6.9,
    "q": 6.9, "r": 4.7, "s": 5.7, "t": 4.3, "u": 7.0, "v": 6.5, "w": 9.0, "x": 6.5,
    "y": 6.5, "z": 5.8,
    "A": 7.5, "B": 7.5, "C": 7.7, "D": 8.5, "E": 7.0, "F": 6.3, "G": 8.5, "H": 8.3,
    "I": 4.6, "J": 5.0, "K": 7.6, "L": 6.1, "M": 9.3, "N": 8.2, "O": 8.7, "P": 6.6,
    "Q": 8.7, "R": 7.7, "S": 7.5, "T": 6.8, "U": 8.1, "V": 7.5, "W": 10.9, "X": 7.5,
    "Y": 6.8, "Z": 7.5,
}  # fmt: skip
_OTHER = 7.5
"""Letters outside the table (accented, Greek, Cyrillic): about an average capital."""
_WIDE = 11.0
"""East Asian wide and full-width characters take a whole em."""


def text_width(text: str) -> float:
    """The width of `text` in Verdana at 11 px, in pixels, from the table."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> float:
    known = _WIDTHS.get(char)
    if known is not None:
        return known
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _WIDE
    base = unicodedata.normalize("NFD", char)[0]  # "é" is as wide as "e"
    return _WIDTHS.get(base, _OTHER)


def shorten(text: str, limit: int = NAME_LIMIT) -> str:
    """`text` if it fits in `limit` characters, else cut at the last word that fits, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    at_word = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return at_word.rstrip(" -–,;:/") + "…"


@dataclass(frozen=True, slots=True)
class Badge:
    label: str
    message: str
    colour: str
    title: str
    """What a screen reader says and a pointer shows: the full label and the message."""


def render(badge: Badge, style: Style = "flat") -> bytes:
    """The badge as SVG: two boxes, the label's and the message's, each as wide as its text."""
    label_text, message_text = (
        math.ceil(text_width(badge.label)),
        math.ceil(text_width(badge.message)),
    )
    label_width, message_width = label_text + 2 * PADDING, message_text + 2 * PADDING
    width = label_width + message_width
    title = escape(xml_text(badge.title))
    flat = style == "flat"
    radius = 3 if flat else 0
    gloss = (
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        if flat
        else ""
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        gloss,
        f'<clipPath id="r"><rect width="{width}" height="{HEIGHT}" rx="{radius}" fill="#fff"/>'
        "</clipPath>",
        f'<g clip-path="url(#r)"><rect width="{label_width}" height="{HEIGHT}" '
        f'fill="{LABEL_COLOUR}"/><rect x="{label_width}" width="{message_width}" '
        f'height="{HEIGHT}" fill="{badge.colour}"/>'
        + (f'<rect width="{width}" height="{HEIGHT}" fill="url(#s)"/>' if flat else "")
        + "</g>",
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="11">',
        _text(badge.label, label_width / 2, label_text, shadow=flat),
        _text(badge.message, label_width + message_width / 2, message_text, shadow=flat),
        "</g></svg>",
    ]
    return "".join(parts).encode("utf-8")


def _text(text: str, centre: float, length: int, *, shadow: bool) -> str:
    shown = escape(xml_text(text))
    at = f'x="{centre:g}" textLength="{length}"'
    # The shadow is a copy one pixel down: the classic badge look, and a little more contrast.
    under = f'<text {at} y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">{shown}</text>'
    return (under if shadow else "") + f'<text {at} y="14">{shown}</text>'


def status_badge(code: StatusCode, label: str, title_label: str) -> Badge:
    word, colour = STATUS_LOOK[code]
    return Badge(label, word, colour, f"{title_label}: {word}")


@dataclass(frozen=True, slots=True)
class BadgeQuery:
    label: str | None
    style: Style


def badge_query(request: Request) -> BadgeQuery:
    """`?label=` and `?style=`; InvalidInput naming the parameter. Other parameters are left
    alone: pages add their own to bust caches."""
    label = _single(request, "label")
    if label is not None:
        if not label.isprintable() or not label.strip() or len(label) > LABEL_LIMIT:
            raise InvalidInput("label", f"must be 1 to {LABEL_LIMIT} printable characters")
        label = label.strip()
    style = _single(request, "style")
    if style is None:
        return BadgeQuery(label, "flat")
    for known in STYLES:
        if style == known:
            return BadgeQuery(label, known)
    raise InvalidInput("style", "must be flat or flat-square")


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise InvalidInput(name, "must be given once")
    return values[0] if values else None


def badge_routes(feeds: PublicFeeds) -> list[BaseRoute]:
    async def environment_badge(request: Request) -> Response:
        query = badge_query(request)
        key = request.path_params["env"]
        try:
            environment = await run_in_threadpool(feeds.environment, key)
        except UnknownEnvironment:
            return _not_found(request, query)
        code = environment_status(environment)
        label = query.label or "status"
        title = query.label or f"{environment.name} status"
        return _answer(request, status_badge(code, label, title), query)

    async def item_badge(request: Request) -> Response:
        query = badge_query(request)
        try:
            item = await run_in_threadpool(feeds.item, request.path_params["item_id"])
        except NotFoundError:
            return _not_found(request, query)
        badge = status_badge(
            item.status_code, query.label or shorten(item.name), query.label or item.name
        )
        return _answer(request, badge, query)

    return [
        Route("/badges/items/{item_id}.svg", item_badge, methods=["GET", "HEAD"]),
        Route("/badges/{env}.svg", environment_badge, methods=["GET", "HEAD"]),
    ]


def _answer(request: Request, badge: Badge, query: BadgeQuery, status: int = 200) -> Response:
    return cacheable(request, render(badge, query.style), SVG, _HEADERS, status=status)


def _not_found(request: Request, query: BadgeQuery) -> Response:
    word, colour = NOT_FOUND
    label = query.label or "status"
    return _answer(request, Badge(label, word, colour, f"{label}: {word}"), query, 404)
