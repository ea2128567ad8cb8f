"""Reading Accept and Accept-Encoding, cached: partners send the same few headers all day."""

from __future__ import annotations

from functools import lru_cache

_JSON_RANGES = (b"application/json", b"application/*", b"*/*")
_EVENT_STREAM_RANGES = (b"text/event-stream", b"text/*", b"*/*")


def _ranges(header: bytes) -> list[tuple[bytes, float]]:
    """`text/html, application/json;q=0.9` -> [(b"text/html", 1.0), (b"application/json", 0.9)]."""
    ranges: list[tuple[bytes, float]] = []
    for part in header.split(b","):
        pieces = part.split(b";")
        token = pieces[0].strip().lower()
        if not token:
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition(b"=")
            if name.strip().lower() == b"q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        ranges.append((token, quality))
    return ranges


@lru_cache(maxsize=512)
def accepts_json(accept: bytes) -> bool:
    """True when `accept` allows application/json (docs/design.md §3: json, application/*, */* or none).

    The most specific range that matches decides, as RFC 9110 §12.5.1 says, so
    `*/*, application/json;q=0` refuses JSON.
    """
    return _accepts(accept, _JSON_RANGES)


@lru_cache(maxsize=512)
def accepts_event_stream(accept: bytes) -> bool:
    """True when `accept` allows text/event-stream (the live streams), by the same rule."""
    return _accepts(accept, _EVENT_STREAM_RANGES)


def _accepts(accept: bytes, ranges: tuple[bytes, ...]) -> bool:
    """`ranges` runs from the media type itself to `*/*`: the first one named decides."""
    if not accept.strip():
        return True
    matches = {token: q for token, q in _ranges(accept) if token in ranges}
    for token in ranges:
        if token in matches:
            return matches[token] > 0
    return False


@lru_cache(maxsize=512)
def preferred_encoding(accept_encoding: bytes) -> bytes:
    """b"br", b"gzip" or b"identity": the smallest coding the client accepts."""
    qualities = dict(_ranges(accept_encoding))
    star = qualities.get(b"*")
    for coding in (b"br", b"gzip"):
        quality = qualities.get(coding, star if star is not None else 0.0)
        if quality > 0:
            return coding
    return b"identity"
