"""The Idempotency-Key request header of the admin API's creating POSTs (IETF draft "The
Idempotency-Key HTTP Header Field"): read, checked, and paired with a fingerprint of the
request, so that the store can tell a retry from another request under the same key."""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel
from starlette.requests import Request

from status_dashboard.api.problems import InputIssue, Problem, ProblemError
from status_dashboard.domain.idempotency import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
KEY_CHARS = "[A-Za-z0-9_.:~+/=-]"
"""What a key may hold: enough for UUIDs, ULIDs and base64, and nothing a log must escape."""
_KEY = re.compile(KEY_CHARS + "+")
_ALLOWED = "letters, digits and - _ . : ~ + / ="


def idempotency_key(request: Request, payload: BaseModel) -> IdempotencyKey | None:
    """The request's key, or None without one; 400 naming the header for a bad one.

    The draft sends the key as a quoted string (a Structured Field), e.g. "8e03978e-40d5";
    a bare token is taken as well. The fingerprint covers the method, the path and the body as
    validated, so spacing or key order in the JSON does not make a retry another request."""
    given = request.headers.getlist(HEADER)
    if not given:
        return None
    if len(given) > 1:
        _refuse("must be given once", given[1])
    raw = given[0].strip()
    value = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    if not value or len(value) > MAX_LENGTH:
        _refuse(f"must be 1 to {MAX_LENGTH} characters long (got {len(value)})", raw)
    if not _KEY.fullmatch(value):
        _refuse(f"may hold only {_ALLOWED}", raw)
    request_line = f"{request.method} {request.url.path}\n".encode()
    digest = hashlib.sha256(request_line + payload.model_dump_json().encode()).hexdigest()
    return IdempotencyKey(value, digest)


def _refuse(detail: str, value: str) -> None:
    issue = InputIssue("header", HEADER, detail, value[:40])
    raise ProblemError(Problem(400, f"invalid {HEADER} header: {detail}", (issue,)))
