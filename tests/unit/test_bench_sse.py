"""The live-updates bench: how its client reads a stream, and where its block goes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

# The bench is a script beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_sse

HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _dashboard(etag: bytes) -> bytes:
    return b'event: dashboard\nid: "' + etag + b'"\ndata: {"groups":[]}\n\n'


def test_the_client_notes_the_first_dashboard_the_change_heartbeats_and_the_end() -> None:
    loop = asyncio.new_event_loop()
    try:
        stream = bench_sse.Stream(b"", loop)
        wire = (
            HEAD
            + _chunk(b"retry: 5000\n\n")
            + _chunk(_dashboard(b"one"))
            + _chunk(b'event: heartbeat\ndata: {"at": "2026-12-01T08:00:00Z"}\n\n')
            + _chunk(_dashboard(b"two"))
            + b"0\r\n\r\n"
        )
        for start in range(0, len(wire), 7):  # the bytes arrive in pieces of any size
            stream.data_received(wire[start : start + 7])
        assert stream.first_id == b'"one"'
        assert stream.changed_at is not None
        assert stream.heartbeats == 1
        assert stream.ended_cleanly
        assert stream.first.done()
        assert stream.gone.done()
    finally:
        loop.close()
