"""Stable public ids, derived from the keys of the catalog.

A key never changes when a display name does, so neither does the id derived from it; loading the
same catalog twice gives the same ids on every machine. Ids differ per environment: the cookbook
calls an item id the identifier of "this specific status entry", and PROD and ACC are distinct
entries of the same service.
"""

from __future__ import annotations

import base64
import hashlib
import re

GROUP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20}$")
"""20 characters of URL-safe base64, like the cookbook's `AXAQooF-9v9nOdhekPYm`."""

ITEM_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
"""32 lowercase hex digits, like the cookbook's `715d31b5a498a4587fedc57dada6a9df`."""

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
"""Catalog keys: short, lowercase, safe in a URL path and a YAML file alike."""

RESERVED_PATH_SEGMENTS = frozenset(
    {"admin", "api", "badges", "feeds", "health", "history", "items", "metrics", "static"}
)
"""First path segments of other parts of the application: an environment's page is
`/{key}`, so no environment may take one of them as its key."""


def group_id(environment_key: str, group_key: str) -> str:
    digest = hashlib.sha256(f"group\x00{environment_key}\x00{group_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:20]


def item_id(environment_key: str, item_key: str) -> str:
    """An item's id depends on its environment and key only, so moving it between groups keeps it."""
    return hashlib.sha256(f"item\x00{environment_key}\x00{item_key}".encode()).hexdigest()[:32]
