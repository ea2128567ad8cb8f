"""What every admin route shares: who is asking, reading a bounded JSON body, and answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from status_dashboard.api.problems import InputIssue, Problem, ProblemError
from status_dashboard.domain.accounts import Principal
from status_dashboard.domain.audit import Page
from status_dashboard.service.accounts import Accounts
from status_dashboard.service.catalog_admin import CatalogAdmin
from status_dashboard.service.check_admin import CheckAdmin
from status_dashboard.service.operator import Operations
from status_dashboard.service.users import UserAdmin

MAX_BODY_BYTES = 64 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class AdminServices:
    accounts: Accounts
    operations: Operations
    catalog: CatalogAdmin | None = None  # None: the catalog routes answer 404
    checks: CheckAdmin | None = None  # None: the check routes answer 404
    users: UserAdmin | None = None  # None: the user routes answer 404


def services(request: Request) -> AdminServices:
    found: AdminServices = request.app.state.admin
    return found


def principal(request: Request) -> Principal:
    """The token's principal; 401 problems come from the service's Unauthenticated."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if header and scheme.lower() != "bearer":
        raise ProblemError(
            Problem(
                401,
                "use an Authorization: Bearer token",
                headers=_CHALLENGE,
                kind="invalidAccessToken",
            )
        )
    return services(request).accounts.authenticate_token(secret.strip())


_CHALLENGE = ((b"www-authenticate", b'Bearer realm="status-dashboard"'),)


async def body(request: Request, model: type[M]) -> M:
    """The request's JSON body as `model`; 400 naming each bad field, 413 past the limit."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY_BYTES:
            raise ProblemError(
                Problem(413, f"the request body must be at most {MAX_BODY_BYTES} bytes")
            )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", "application/merge-patch+json", ""):
        raise ProblemError(Problem(415, "the request body must be application/json"))
    try:
        document = orjson.loads(bytes(raw) or b"null")
    except orjson.JSONDecodeError as exc:
        issue = InputIssue("body", "body", f"not valid JSON: {exc.msg} at position {exc.pos}")
        raise ProblemError(Problem(400, "the request body is not valid JSON", (issue,))) from None
    nul = _nul_in(document, "")
    if nul is not None:
        # PostgreSQL cannot store text holding a NUL (it errs, a 500), so none is taken.
        issue = InputIssue("body", nul or "body", "must not contain a NUL character (\\u0000)")
        raise ProblemError(Problem(400, f"invalid body: {nul or 'body'}", (issue,)))
    try:
        # JSON mode, strict: "2" is not a status code and a string is a string, as documented.
        return model.model_validate_json(bytes(raw) or b"null")
    except ValidationError as exc:
        raise ProblemError(validation_problem(exc, "body")) from None


def _nul_in(value: Any, where: str) -> str | None:
    """Where in a JSON document a text (a value or a key) holds a NUL, as `checks[0].url`;
    None if none does."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if "\x00" in key:
                return name
            found = _nul_in(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def validation_problem(exc: ValidationError, location: str) -> Problem:
    issues = tuple(
        InputIssue(location, ".".join(str(part) for part in error["loc"]) or location, error["msg"])
        for error in exc.errors(include_url=False)
    )
    names = ", ".join(issue.name for issue in issues[:5])
    return Problem(400, f"invalid {location}: {names}", issues)


def query_int(
    request: Request, name: str, default: int | None, lowest: int, highest: int
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lowest - 1
    if not lowest <= value <= highest:
        issue = InputIssue(
            "query", name, f"must be a whole number from {lowest} to {highest}", raw[:40]
        )
        raise ProblemError(Problem(400, f"invalid query parameter {name}", (issue,)))
    return value


def paging(request: Request) -> tuple[int | None, int]:
    cursor = query_int(request, "cursor", None, 1, 2**62)
    limit = query_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    assert limit is not None
    return cursor, limit


def json_response(document: Any, status: int = 200, etag: str | None = None) -> Response:
    headers = {"cache-control": "no-store"}
    if etag is not None:
        headers["etag"] = etag
    return Response(orjson.dumps(document), status, headers, media_type="application/json")


def page_response(page: Page[Any], render: Callable[[Any], Any]) -> Response:
    return json_response(
        {"items": [render(entry) for entry in page.entries], "next_cursor": page.next_cursor}
    )
