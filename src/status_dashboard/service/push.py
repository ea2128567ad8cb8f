"""Pushes (heartbeats): a service tells it is alive by calling its push check's URL.

The token is the only credential, so an unknown token and a malformed one get the same answer:
a caller learns nothing about which tokens exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from status_dashboard.domain.ports import MonitorStore

_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


class PushReceiver:
    def __init__(self, store: MonitorStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def receive(self, token: str) -> datetime | None:
        """Record a push now; the moment recorded, or None when no push check has `token`."""
        if not _TOKEN.match(token):
            return None
        at = self._clock()
        return at if self._store.push(token, at) else None
