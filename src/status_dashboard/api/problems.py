"""One error shape on the wire: RFC 9457 problem+json in the Belgian REST guide's form.

Every error answer of the service, from the raw dashboard path and from the Starlette routes
alike, is made here. A 500 shows only its instance id (which is also the answer's
BelGov-Trace-Id, so an operator finds it in the logs); never the exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson

PROBLEM_JSON = b"application/problem+json"
_BELGIF_HREF = "https://www.belgif.be/specification/rest/api-guide/problems/{}.html"

# The Belgian REST guide's standard problem types, by status. Statuses it does not name use
# RFC 9457's "about:blank", whose title is the status phrase.
BELGIF_TYPES = {
    400: "badRequest",
    401: "noAccessToken",
    403: "missingPermission",
    404: "resourceNotFound",
    413: "payloadTooLarge",
    429: "tooManyRequests",
    500: "internalServerError",
    502: "badGateway",
    503: "serviceUnavailable",
}


@dataclass(frozen=True, slots=True)
class InputIssue:
    """One bad input, as the guide's `issues[]` entry: where it is, which one, and what is wrong."""

    location: str  # "header", "query", "path" or "body"
    name: str
    detail: str
    value: Any = None

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "type": "urn:problem-type:belgif:input-validation:schemaViolation",
            "title": "Input value is invalid with respect to the schema",
            "detail": self.detail,
            "in": self.location,
            "name": self.name,
        }
        if self.value is not None:
            entry["value"] = self.value
        return entry


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    detail: str | None = None
    issues: tuple[InputIssue, ...] = ()
    headers: tuple[tuple[bytes, bytes], ...] = field(default=())
    kind: str | None = None
    """A Belgian REST guide type more precise than the status's own, e.g. expiredAccessToken."""

    def document(self, instance: str) -> dict[str, Any]:
        kind = self.kind or BELGIF_TYPES.get(self.status)
        document: dict[str, Any] = {}
        if kind is None:
            document["type"] = "about:blank"
        else:
            document["type"] = f"urn:problem-type:belgif:{kind}"
            document["href"] = _BELGIF_HREF.format(kind)
        document["title"] = _title(self.status)
        document["status"] = self.status
        if self.detail is not None and self.status != 500:
            document["detail"] = self.detail
        document["instance"] = f"urn:uuid:{instance}"
        if self.issues:
            document["issues"] = [issue.as_json() for issue in self.issues]
        return document

    def body(self, instance: str) -> bytes:
        return orjson.dumps(self.document(instance))


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemError(Exception):
    """Raised by handlers to answer with a problem; the error handler turns it into the answer."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail or str(problem.status))
        self.problem = problem
