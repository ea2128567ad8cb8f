"""One dashboard request of the simulator while it is answered: what the client sent, how to
answer it, and what was answered (the conformance book's `AnswerFacts`, but for the time)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from status_dashboard.api.asgi import Receive, Send, send_problem
from status_dashboard.api.negotiation import preferred_encoding
from status_dashboard.api.problems import Problem
from status_dashboard.api.simulator.conditional import not_modified
from status_dashboard.domain.conformance import AnswerFacts
from status_dashboard.service.snapshot import RenderedDashboard

CLIENT_LEFT = 499
"""The status recorded for a request whose client went away before the answer (nginx's
"client closed request"): nothing was sent."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    etag: str | None = None
    max_age_s: float | None = None
    retry_after_s: float | None = None

    def facts(self, at: float) -> AnswerFacts:
        return AnswerFacts(at, self.status, self.etag, self.max_age_s, self.retry_after_s)


@dataclass(slots=True)
class Asked:
    """The request headers the simulator reads (the last of each, as bytes; absent: None)."""

    accept: bytes | None = None
    accept_encoding: bytes = b""
    user_agent: bytes | None = None
    if_none_match: bytes | None = None
    if_modified_since: bytes | None = None
    trace_id: bytes | None = None
    scenario: bytes | None = None

    @classmethod
    def read(cls, headers: list[tuple[bytes, bytes]]) -> Asked:
        asked = cls()
        for name, value in headers:
            attribute = _READ.get(name)
            if attribute is not None:
                setattr(asked, attribute, value)
        return asked


_READ = {
    b"accept": "accept",
    b"accept-encoding": "accept_encoding",
    b"user-agent": "user_agent",
    b"if-none-match": "if_none_match",
    b"if-modified-since": "if_modified_since",
    b"belgov-trace-id": "trace_id",
    b"x-simulator-scenario": "scenario",
}


def text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


@dataclass(slots=True)
class Exchange:
    send: Send
    receive: Receive
    asked: Asked
    head_only: bool
    trace_id: str
    stamps: list[tuple[bytes, bytes]] = field(default_factory=list)
    """Headers every answer carries: the trace ids and the simulator's own."""

    async def problem(self, problem: Problem) -> Outcome:
        await send_problem(self.send, problem, self.trace_id, self.stamps, head_only=self.head_only)
        retry_after = dict(problem.headers).get(b"retry-after")
        return Outcome(
            problem.status, retry_after_s=None if retry_after is None else float(retry_after)
        )

    async def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        await self.send(
            {"type": "http.response.start", "status": status, "headers": [*headers, *self.stamps]}
        )

    async def body(self, body: bytes, *, more: bool = False) -> None:
        await self.send({"type": "http.response.body", "body": body, "more_body": more})

    async def dashboard(self, dashboard: RenderedDashboard, max_age: int) -> Outcome:
        """The dashboard as the real server answers it: the client's coding, 304 when it
        has it already, headers only for HEAD."""
        chosen = dashboard.representation(preferred_encoding(self.asked.accept_encoding))
        fresh = Outcome(200, chosen.etag.decode("ascii"), float(max_age))
        if not_modified(
            dashboard, chosen, self.asked.if_none_match or b"", self.asked.if_modified_since or b""
        ):
            await self.start(304, list(chosen.not_modified_headers))
            await self.body(b"")
            return Outcome(304, fresh.etag, fresh.max_age_s)
        await self.start(200, list(chosen.headers))
        await self.body(b"" if self.head_only else chosen.body)
        return fresh

    async def wait_unless_left(self, seconds: float, release: asyncio.Event) -> bool:
        """Hold the answer `seconds`, or until `release` is set (the server is stopping);
        True as soon as the client goes away (ASGI `http.disconnect`), else False."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        released = asyncio.ensure_future(release.wait())
        try:
            while (remaining := deadline - loop.time()) > 0 and not release.is_set():
                heard = asyncio.ensure_future(self.receive())
                await asyncio.wait(
                    (heard, released), timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                if not heard.done():
                    heard.cancel()
                    return False
                if heard.result().get("type") == "http.disconnect":
                    return True
            return False
        finally:
            released.cancel()
