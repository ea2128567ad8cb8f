"""Counting each client's calls, for the scenarios that change from one call to the next.

A client is its User-Agent (requests without one count together), and each scenario keeps its
own count. The counts live in a bounded least-recently-used table, so memory stays flat however
many clients come: a client forgotten for newer ones starts again at its first call.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

MAX_CALLERS = 10_000
"""(client, scenario) pairs remembered; each costs a few hundred bytes."""
MAX_CLIENT_LENGTH = 512
"""Longer User-Agents are cut: two clients that differ only past this are one."""


@dataclass(slots=True)
class Calls:
    number: int = 0
    """How many calls the client made in this scenario, this one included."""
    changed_at: datetime | None = None
    """When the body this client sees last changed, for scenarios that change every few calls."""


class CallLog:
    def __init__(self, limit: int = MAX_CALLERS) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._calls: OrderedDict[tuple[str, str], Calls] = OrderedDict()

    def __len__(self) -> int:
        return len(self._calls)

    def call(self, client: str | None, scenario: str) -> Calls:
        """Count one more call of `client` in `scenario`; its record, to read and update."""
        key = ((client or "")[:MAX_CLIENT_LENGTH], scenario)
        calls = self._calls.get(key)
        if calls is None:
            calls = self._calls[key] = Calls()
            while len(self._calls) > self._limit:
                self._calls.popitem(last=False)
        else:
            self._calls.move_to_end(key)
        calls.number += 1
        return calls
