"""The version of an item that an operator acts on: the strong ETag that If-Match compares.

It covers the item's manual status, what the public is shown of it, and its override, so two
people editing one item notice each other. The store computes it again inside a write's
transaction, which is what makes If-Match a guard and not only an early refusal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from status_dashboard.domain.history import ItemState
from status_dashboard.domain.model import Item
from status_dashboard.domain.operations import Override


def item_version(item: Item, state: ItemState | None, override: Override | None) -> str:
    parts: list[Any] = [
        item.status_code,
        item.description,
        item.last_updated.isoformat(),
        None if state is None else [state.status_code, state.description, state.last_updated.isoformat()],
        None if override is None else [
            override.status_code,
            override.description,
            override.set_at.isoformat(),
            override.expires_at.isoformat() if override.expires_at else None,
        ],
    ]  # fmt: skip
    return '"' + hashlib.sha256(_canonical(parts)).hexdigest()[:24] + '"'


def _canonical(parts: list[Any]) -> bytes:
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
