"""The wrapper every UI page goes through: sign-in, CSRF on POST, and errors as HTML pages.

The API's problem handlers answer JSON; a person in a browser gets a page instead, so the UI
catches what its handlers raise before it reaches them. A database that cannot be reached for
a moment answers 503 with Retry-After and a page that says so, not the 500 of a bug.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from status_dashboard.domain.accounts import Principal
from status_dashboard.domain.errors import ConflictError, NotFoundError
from status_dashboard.service.accounts import Forbidden, InvalidInput
from status_dashboard.web import csrf
from status_dashboard.web.context import Ui
from status_dashboard.web.session import signed_in

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 500

Handler = Callable[[Request, Ui, Principal], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

_FALLBACK_500 = (
    "<!doctype html><html lang=en><title>Error</title><main><h1>Something went wrong</h1>"
    "<p>The error was logged with id {id}.</p></main></html>"
)


class FormTooLarge(Exception):
    pass


async def call(function: Callable[..., T], *args: Any) -> T:
    """Run a use case in a thread: a database write or an argon2 hash must not hold up the
    event loop that serves the public dashboard."""
    return await run_in_threadpool(function, *args)


async def read_form(request: Request) -> FormData:
    """The request's form, read once (the CSRF check and the handler share it).

    The body is counted as it arrives: a chunked body says no length, and Starlette's parser
    bounds each field (1 MiB), not the whole, so 500 fields of 1 MiB would be held in memory."""
    kept = getattr(request.state, "form", None)
    if isinstance(kept, FormData):
        return kept
    length = request.headers.get("content-length")
    if length is not None and (
        not (length.isascii() and length.isdigit()) or int(length) > MAX_FORM_BYTES
    ):
        raise FormTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    form = await _parsed(request.headers, bytes(body))
    request.state.form = form
    return form


async def _parsed(headers: Headers, body: bytes) -> FormData:
    """`body` parsed as Starlette's `Request.form()` would, without files."""

    async def chunks() -> AsyncGenerator[bytes, None]:
        yield body

    content_type, _ = parse_options_header(headers.get("content-type"))
    try:
        if content_type == b"multipart/form-data":
            parser = MultiPartParser(headers, chunks(), max_files=0, max_fields=MAX_FORM_FIELDS)
            return await parser.parse()
        if content_type == b"application/x-www-form-urlencoded":
            return await FormParser(headers, chunks(), max_fields=MAX_FORM_FIELDS).parse()
    except MultiPartException as exc:
        raise HTTPException(400, exc.message) from None
    return FormData()


def page(ui: Ui, handler: Handler) -> Endpoint:
    """A signed-in page: visitors are sent to the sign-in form, POSTs must pass the CSRF check."""

    async def endpoint(request: Request) -> Response:
        async def signed_in_only() -> Response:
            who = signed_in(request)
            if who is None:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/admin/login?next={target}", status_code=303)
            if request.method == "POST":
                csrf.check(request, await read_form(request))
            return await handler(request, ui, who)

        return await guarded(ui, request, signed_in_only)

    return endpoint


async def guarded(ui: Ui, request: Request, run: Callable[[], Awaitable[Response]]) -> Response:
    """`run`, with each refusal and each bug turned into an HTML page."""
    pages = ui.pages
    try:
        return await run()
    except csrf.CsrfRefused as exc:
        log.warning("event=csrf_refused path=%s reason=%s", request.url.path, exc)
        return pages.error(
            request, 403, "Request refused",
            "This form was not sent by this session's own page, so nothing was changed. "
            "Reload the page and try again.",
        )  # fmt: skip
    except Forbidden as exc:
        return pages.error(request, 403, "Not allowed", str(exc))
    except NotFoundError as exc:
        return pages.error(request, 404, "Not found", str(exc))
    except ConflictError as exc:
        return pages.error(request, 409, "Changed by someone else", str(exc))
    except InvalidInput as exc:
        return pages.error(request, 400, "Invalid input", str(exc))
    except HTTPException as exc:  # e.g. a malformed form body
        return pages.error(request, exc.status_code, "Request refused", str(exc.detail))
    except FormTooLarge:
        return pages.error(request, 413, "Too large", "The form is larger than 64 KiB.")
    except Exception as exc:
        return _failure_page(ui, request, exc)


def _failure_page(ui: Ui, request: Request, exc: Exception) -> Response:
    """A passing outage of the database (503, with Retry-After), or a bug (500, with the id of
    its log line)."""
    wait = _retry_after_of(exc)
    error_id = str(uuid.uuid4())
    if wait is not None:
        log.warning(
            'event=store_unavailable ui=admin id=%s path=%s error=%s reason="%s"',
            error_id, request.url.path[:200], type(exc).__name__, str(exc).replace('"', "'")[:300],
        )  # fmt: skip
        return ui.pages.error(
            request, 503, "Database unavailable",
            f"The database cannot be reached at the moment. Try again in {wait} seconds; "
            "if you were changing something, look whether it was saved.",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    log.error(
        "event=unhandled_error ui=admin id=%s path=%s", error_id, request.url.path, exc_info=exc
    )
    try:
        return ui.pages.error(
            request, 500, "Something went wrong", f"The error was logged with id {error_id}."
        )
    except Exception:
        return HTMLResponse(_FALLBACK_500.format(id=error_id), 500)


def _retry_after_of(exc: Exception) -> int | None:
    """The seconds a passing outage's exception says to wait (the store's StoreUnavailable,
    known by its `retry_after_s`: the UI does not import the store); None for any other."""
    seconds = getattr(exc, "retry_after_s", None)
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0:
        return seconds
    return None


PublicHandler = Callable[[Request, Ui], Awaitable[Response]]


def public(ui: Ui, handler: PublicHandler) -> Endpoint:
    """A page for visitors not signed in (the sign-in form), with the same error pages."""

    async def endpoint(request: Request) -> Response:
        return await guarded(ui, request, lambda: handler(request, ui))

    return endpoint
