"""Cross-site request forgery: every POST must carry this session's token and, when the browser
says where it comes from, come from this origin.

The token is compared in constant time. The Origin check is a second lock for browsers that send
it; the `same_site="strict"` cookie is a third.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request

from status_dashboard.web.session import csrf_secret

FIELD = "csrf_token"


class CsrfRefused(Exception):
    """A POST that this session's own pages did not send; nothing was written."""


def check(request: Request, form: FormData) -> None:
    _check_origin(request)
    sent = form.get(FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected:
        raise CsrfRefused("the form has no valid security token")
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused("the form's security token does not match this session")


def token(request: Request) -> str:
    return csrf_secret(request)


def _check_origin(request: Request) -> None:
    # Only the host is compared: behind a TLS-terminating proxy the scheme seen here is http.
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return  # neither sent (some privacy settings): the token alone decides
    if origin == "null":
        raise CsrfRefused("the form came from an opaque origin")
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        raise CsrfRefused("the form came from another site")
