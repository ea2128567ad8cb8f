"""BelGov-Trace-Id on every answer (Belgian REST guide, tracing): a new id per answer, and the
request's own id echoed back as BelGov-Related-Trace-Id."""

from __future__ import annotations

import os
import re
import uuid

_TRACE_ID_SHAPE = re.compile(rb"[\x21-\x7e]{1,64}")
"""What a request's BelGov-Trace-Id may be to be echoed: short, visible ASCII (no header injection)."""


def new_trace_id() -> str:
    return str(uuid.UUID(bytes=os.urandom(16), version=4))


def trace_headers(trace_id: str, related: bytes | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"belgov-trace-id", trace_id.encode("ascii"))]
    if related is not None and _TRACE_ID_SHAPE.fullmatch(related):
        headers.append((b"belgov-related-trace-id", related))
    return headers
