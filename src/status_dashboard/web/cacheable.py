"""Answers any cache may keep (feeds and badges): a strong ETag that is a hash of the bytes,
`Cache-Control: public`, 304 on a matching If-None-Match, and HEAD without the body.

The same bytes give the same ETag on every replica, so a cache in front of several servers
revalidates with any of them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

MAX_AGE_S = 60
CORS = {"Access-Control-Allow-Origin": "*"}
"""Feeds and badges are public data that other sites embed or fetch from their own pages."""


def etag_of(body: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:18]).decode("ascii")
    return f'"{digest}"'


def etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: If-None-Match compares weakly, and `*` matches any current answer."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def cacheable(
    request: Request,
    body: bytes,
    media_type: str,
    headers: Mapping[str, str] = CORS,
    *,
    status: int = 200,
) -> Response:
    """`body` as a 200 (or `status`) with its ETag, or a 304 when the client holds it already.

    An error status gets no ETag: what it says is not a version of the resource."""
    common = {"Cache-Control": f"public, max-age={MAX_AGE_S}", **headers}
    if status == 200:
        etag = etag_of(body)
        common["ETag"] = etag
        if etag_matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=common)
    common["Content-Length"] = str(len(body))
    # Starlette's Response would send the body to a HEAD request too.
    payload = b"" if request.method == "HEAD" else body
    return Response(payload, status, common, media_type=media_type)
