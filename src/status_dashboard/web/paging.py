"""Cursor paging of newest-first listings, as query parameters of a page's own URL."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from status_dashboard.domain.errors import NotFoundError

MAX_CURSOR = 2**62


def cursor_of(request: Request) -> int | None:
    """The `cursor` parameter; a bad one starts from the newest rather than failing the page."""
    raw = request.query_params.get("cursor", "")
    if raw.isascii() and raw.isdigit() and 0 < int(raw) < MAX_CURSOR:
        return int(raw)
    return None


def next_url(request: Request, cursor: int | None) -> str | None:
    """This page's URL with its other filters, continued at `cursor` (None: no more)."""
    if cursor is None:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    params["cursor"] = str(cursor)
    return f"{request.url.path}?{urlencode(params)}"


def path_id(request: Request, name: str) -> int:
    """A numeric id from the path; anything else names nothing (404)."""
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise NotFoundError(f"No {name.replace('_id', '')} '{raw[:20]}'")
    return int(raw)
