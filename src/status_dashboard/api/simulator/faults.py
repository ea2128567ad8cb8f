"""The faults, played on the wire: how each one misbehaves (service.simulator.scenarios says
what each is for, and what a correct client does about it).

Each play answers one request and says what it answered; the ones that carry a dashboard get
the timeline's, asked for when it is needed (for `slow`: when the delay is over).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from status_dashboard.api.problems import Problem
from status_dashboard.api.simulator.exchange import CLIENT_LEFT, Exchange, Outcome
from status_dashboard.service.snapshot import RenderedDashboard

INVALID_JSON_TYPE = b"application/json"
WRONG_CONTENT_TYPE = b"text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Stage:
    """What a fault may need besides the exchange."""

    dashboard: Callable[[], RenderedDashboard]
    """The timeline's dashboard of the asked environment, now."""
    max_age: int
    seconds: float
    """The fault's own duration: the delay of `slow`, the hold of `timeout`, the Retry-After
    of `unavailable-503` and `rate-limited-429`."""
    release: asyncio.Event
    """Set when the server stops: held requests are answered at once, so that a client kept
    waiting does not keep the server from stopping."""


Play = Callable[[Exchange, Stage], Awaitable[Outcome]]


async def slow(exchange: Exchange, stage: Stage) -> Outcome:
    if await exchange.wait_unless_left(stage.seconds, stage.release):
        return Outcome(CLIENT_LEFT)
    return await exchange.dashboard(stage.dashboard(), stage.max_age)


async def timeout(exchange: Exchange, stage: Stage) -> Outcome:
    """Hold the request; if the client is still there after `stage.seconds`, end it with the
    504 a gateway gives when its upstream never answered."""
    if await exchange.wait_unless_left(stage.seconds, stage.release):
        return Outcome(CLIENT_LEFT)
    return await exchange.problem(
        Problem(504, f"No answer came within {stage.seconds:g} s (simulated upstream timeout)")
    )


async def error_500(exchange: Exchange, stage: Stage) -> Outcome:
    return await exchange.problem(Problem(500))


async def unavailable_503(exchange: Exchange, stage: Stage) -> Outcome:
    return await exchange.problem(
        Problem(
            503,
            f"The service is unavailable (simulated); retry after {stage.seconds:g} s",
            headers=((b"retry-after", b"%d" % stage.seconds),),
        )
    )


async def rate_limited_429(exchange: Exchange, stage: Stage) -> Outcome:
    return await exchange.problem(
        Problem(
            429,
            f"Too many requests (simulated); retry after {stage.seconds:g} s",
            headers=((b"retry-after", b"%d" % stage.seconds),),
        )
    )


async def truncated_body(exchange: Exchange, stage: Stage) -> Outcome:
    """The headers of the whole dashboard, half its bytes, then the connection closes (the
    server closes it when an answer ends short of its Content-Length).

    The book is told of no ETag or max-age: a client that read half an answer has neither."""
    full = stage.dashboard().identity
    await exchange.start(200, list(full.headers))
    if exchange.head_only:
        await exchange.body(b"")  # a HEAD answer has no body to cut
    else:
        await exchange.body(full.body[: len(full.body) // 2], more=True)
    return Outcome(200)


async def invalid_json(exchange: Exchange, stage: Stage) -> Outcome:
    """The dashboard's bytes with a trailing comma before the last brace: not JSON."""
    body = stage.dashboard().identity.body[:-1] + b",}"
    await exchange.start(200, _plain_headers(INVALID_JSON_TYPE, body))
    await exchange.body(b"" if exchange.head_only else body)
    return Outcome(200)


async def wrong_content_type(exchange: Exchange, stage: Stage) -> Outcome:
    """The whole dashboard, every header as usual but Content-Type."""
    full = stage.dashboard().identity
    headers = [
        (name, WRONG_CONTENT_TYPE if name == b"content-type" else value)
        for name, value in full.headers
    ]
    await exchange.start(200, headers)
    await exchange.body(b"" if exchange.head_only else full.body)
    return Outcome(200, full.etag.decode("ascii"), float(stage.max_age))


def _plain_headers(content_type: bytes, body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", content_type),
        (b"content-length", b"%d" % len(body)),
        (b"cache-control", b"no-store"),
    ]


PLAYS: Mapping[str, Play] = {
    "slow": slow,
    "timeout": timeout,
    "error-500": error_500,
    "unavailable-503": unavailable_503,
    "rate-limited-429": rate_limited_429,
    "truncated-body": truncated_body,
    "invalid-json": invalid_json,
    "wrong-content-type": wrong_content_type,
}
"""The faults that are more than a dashboard (`not-modified` and `flapping` are dashboards
that change, served like any other)."""
