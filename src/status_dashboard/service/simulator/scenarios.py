"""What the simulator can play, as data: every scenario and fault, what it shows, and what a
correct client does about it (docs/simulator.md repeats this list for people).

A *scenario* answers a dashboard in the v1 contract, shaped to test one thing a client must get
right. A *fault* is the service misbehaving the way real ones do; `contract` says whether its
body still claims the v1 contract (a slow answer does; a truncated or mislabelled one does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    SCENARIO = "scenario"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    name: str
    kind: Kind
    contract: bool
    """True when the answer's body claims to be a v1 dashboard (and is one)."""
    summary: str
    expected_client_behaviour: str

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "contract": self.contract,
            "summary": self.summary,
            "expected_client_behaviour": self.expected_client_behaviour,
        }


DEFAULT_SCENARIO = "timeline"

SLOW_DELAY_LIMIT_S = 120.0
"""`?delay=` may ask for 0 to this many seconds."""
TIMEOUT_HOLD_S = 65.0
"""How long `timeout` holds a request: past the 60 s a client must never wait."""
RETRY_AFTER_503_S = 20
RETRY_AFTER_429_S = 30
RETRY_AFTER_LIMIT_S = 3600
"""`?retry_after=` may ask for 0 to this many seconds."""


def _scenario(name: str, summary: str, expected: str) -> ScenarioInfo:
    return ScenarioInfo(name, Kind.SCENARIO, True, summary, expected)


def _fault(name: str, contract: bool, summary: str, expected: str) -> ScenarioInfo:
    return ScenarioInfo(name, Kind.FAULT, contract, summary, expected)


SCENARIOS: tuple[ScenarioInfo, ...] = (
    _scenario(
        "timeline",
        "The default: realistic incidents come and go on a four-minute cycle: an IDP disruption "
        "with a description, an eHealthBox item going Unknown, recovery, a MyCareNet slowdown.",
        "Poll no more often than max-age, with If-None-Match; show each change as sent: the "
        "status, the description while there is one, last_updated.",
    ),
    _scenario(
        "all-operational",
        "Every item Operational (1), no descriptions.",
        "Show every service as operational; raise no alert.",
    ),
    _scenario(
        "one-disrupted",
        "One item Disrupted (2) with a description; its group is Disrupted by roll-up.",
        "Show that item as disrupted with its description, and its group's status_code as sent.",
    ),
    _scenario(
        "group-disrupted",
        "Every item of one group Disrupted, each with a description.",
        "Show the whole group as disrupted; the other groups stay operational.",
    ),
    _scenario(
        "all-unknown",
        "Every item Unknown (3): the platform has no monitoring data.",
        "Show Unknown as unknown: neither operational nor an outage.",
    ),
    _scenario(
        "mixed",
        "The demo catalog as written: mostly Operational, a few Disrupted with descriptions, a "
        "few Unknown.",
        "Show each status as sent; a group's code is the worst of its items, Disrupted above "
        "Unknown.",
    ),
    _scenario(
        "empty",
        'No groups at all: {"groups": []}.',
        "Accept an empty list and say that nothing is monitored; do not fail.",
    ),
    _scenario(
        "empty-group",
        "The demo catalog plus a group with no items, whose status_code is 3 (Unknown).",
        "Accept a group without items and show it as unknown; show the other groups as usual.",
    ),
    _scenario(
        "large",
        "50 groups of 20 items: 1,000 items, about 180 KB (18 KB with br).",
        "Read the whole document within your timeout; assume no maximum size; send "
        "Accept-Encoding: gzip or br.",
    ),
    _scenario(
        "long-texts",
        "Unicode names and 2 KB descriptions: accents, CJK, emoji, right-to-left scripts, "
        "quotes and backslashes.",
        "Decode UTF-8 and keep every character; shorten only for display; escape for your own "
        "output (HTML, logs, terminals).",
    ),
    _scenario(
        "no-description",
        "The demo catalog's statuses, Disrupted items included, but no item has a description.",
        "Treat description as optional: a missing field is neither an error nor text to show.",
    ),
    _scenario(
        "new-item",
        "Each call of the same client shows one more item than the last (up to five new ones, "
        "Unknown), then starts over.",
        "Accept ids you have not seen before; key items by id, not by position or name.",
    ),
    _scenario(
        "removed-item",
        "Each call of the same client lacks one more item than the last (up to five), then "
        "starts over.",
        "Drop items whose id is gone; do not keep showing them, do not fail.",
    ),
    _scenario(
        "reordered",
        "Each call of the same client lists groups and items in another order, with the order "
        "fields renumbered to match.",
        "Match items by id, never by position; display by order (or as listed).",
    ),
    _scenario(
        "timezone-shift",
        "last_updated values on both sides of the latest Europe/Brussels daylight saving "
        "change: offsets +01:00 and +02:00 in one document.",
        "Parse each timestamp's own offset and compare instants; never assume one fixed offset.",
    ),
    _fault(
        "slow",
        True,
        "The timeline's dashboard, answered after a delay: --slow-delay seconds, or "
        "?delay=SECONDS (0 to 120).",
        "Bound every call with a timeout; while it runs, start no second request.",
    ),
    _fault(
        "timeout",
        False,
        "Never answers within 60 s: holds the request 65 s (then a 504 problem), or until the "
        "client leaves.",
        "Give up after your own timeout (a few seconds), keep the last good state marked stale, "
        "retry later with backoff.",
    ),
    _fault(
        "error-500",
        False,
        "500 Internal Server Error, as application/problem+json.",
        "Treat it as temporary: keep the last good state, retry later with backoff.",
    ),
    _fault(
        "unavailable-503",
        False,
        f"503 Service Unavailable problem+json with Retry-After: {RETRY_AFTER_503_S} unless "
        "--retry-after or ?retry_after=SECONDS says otherwise.",
        "Send nothing more before Retry-After has passed; keep the last good state.",
    ),
    _fault(
        "rate-limited-429",
        False,
        f"429 Too Many Requests problem+json with Retry-After: {RETRY_AFTER_429_S} unless "
        "--retry-after or ?retry_after=SECONDS says otherwise.",
        "Send nothing more before Retry-After has passed; then poll less often.",
    ),
    _fault(
        "not-modified",
        True,
        "The body changes every third call of the same client; conditional requests get 304 "
        "Not Modified in between.",
        "Send If-None-Match with the last ETag; on 304 keep the document you have; on 200 "
        "replace it and its ETag.",
    ),
    _fault(
        "flapping",
        True,
        "One item switches between Operational and Disrupted on every call of the same client.",
        "Show each state as sent; if you alert people, debounce, but never hide the current state.",
    ),
    _fault(
        "truncated-body",
        False,
        "Content-Length announces the whole dashboard, but the connection closes after half.",
        "Notice the short body (your HTTP library raises); discard it, keep the last good "
        "state, retry later.",
    ),
    _fault(
        "invalid-json",
        False,
        "200 application/json whose body is not JSON (a trailing comma).",
        "Treat a body that does not parse as an error; keep the last good state; do not crash.",
    ),
    _fault(
        "wrong-content-type",
        False,
        "200 with a valid v1 body, served as text/html (what a proxy's error page looks like).",
        "Check Content-Type and refuse anything but application/json; keep the last good state.",
    ),
)

BY_NAME: dict[str, ScenarioInfo] = {info.name: info for info in SCENARIOS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def scenario_named(name: str) -> ScenarioInfo | None:
    return BY_NAME.get(name)
