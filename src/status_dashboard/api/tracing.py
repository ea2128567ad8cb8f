"""BelGov-Trace-Id on every answer (Belgian REST guide, tracing): a new id per answer, and the
request's own id echoed back as BelGov-Related-Trace-Id."""

from __future__ import annotations

import os
import re
import threading

_TRACE_ID_SHAPE = re.compile(rb"[\x21-\x7e]{1,64}")
"""What a request's BelGov-Trace-Id may be to be echoed: short, visible ASCII (no header injection)."""


class _RandomBytes:
    """Random bytes from the operating system, fetched 4 KB at a time: `os.urandom` per answer
    was one system call each, and the call lets go of the GIL, which made every answer on the
    hot path wait for it back behind the server's other thread."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._bytes = b""
        self._next = 0
        # A forked child would hand out the same bytes as its parent: it starts afresh.
        os.register_at_fork(after_in_child=self._forget)

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._next + count > len(self._bytes):
                self._bytes, self._next = os.urandom(self._size), 0
            start = self._next
            self._next += count
            return self._bytes[start : start + count]

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._bytes, self._next = b"", 0


_RANDOM = _RandomBytes()


def new_trace_id() -> str:
    """A random (version 4) UUID, spelled out directly: `uuid.uuid4()` costs three times as much,
    and this runs on every answer of the hot path."""
    raw = bytearray(_RANDOM.take(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    digits = raw.hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def trace_headers(trace_id: str, related: bytes | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"belgov-trace-id", trace_id.encode("ascii"))]
    if related is not None and _TRACE_ID_SHAPE.fullmatch(related):
        headers.append((b"belgov-related-trace-id", related))
    return headers
