"""The cookbook v1.4 field table (and docs/design.md §2), as a checker of real answers.

Independent of the server's own OpenAPI document on purpose: the two are checked against each other.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

GROUP_FIELDS = ["id", "name", "items", "status_code"]
ITEM_FIELDS = ["id", "order", "status_code", "last_updated", "name"]
GROUP_ID = re.compile(r"[A-Za-z0-9_-]{20}")
ITEM_ID = re.compile(r"[0-9a-f]{32}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def expected_group_code(item_codes: list[int]) -> int:
    if 2 in item_codes:
        return 2
    if 3 in item_codes or not item_codes:
        return 3
    return 1


def contract_violations(document: Any) -> list[str]:
    """Every way `document` departs from the cookbook's table; empty when it conforms."""
    if not isinstance(document, dict) or list(document) != ["groups"]:
        return ["the body must be an object with exactly one field, groups"]
    problems: list[str] = []
    if not isinstance(document["groups"], list):
        return ["groups must be a list"]
    for g, group in enumerate(document["groups"]):
        where = f"groups[{g}]"
        if not isinstance(group, dict) or list(group) != GROUP_FIELDS:
            problems.append(f"{where}: fields must be exactly {GROUP_FIELDS} in that order")
            continue
        if not (isinstance(group["id"], str) and GROUP_ID.fullmatch(group["id"])):
            problems.append(f"{where}.id: not 20 characters of URL-safe base64")
        if not isinstance(group["name"], str) or not group["name"]:
            problems.append(f"{where}.name: must be a non-empty string")
        orders: list[int] = []
        for i, item in enumerate(group["items"]):
            problems.extend(_item_violations(f"{where}.items[{i}]", item))
            if isinstance(item, dict) and isinstance(item.get("order"), int):
                orders.append(item["order"])
        if orders != sorted(orders) or len(set(orders)) != len(orders):
            problems.append(f"{where}.items: not sorted by a unique order")
        codes = [item.get("status_code") for item in group["items"] if isinstance(item, dict)]
        if group["status_code"] != expected_group_code(codes):  # type: ignore[arg-type]
            problems.append(
                f"{where}.status_code: {group['status_code']} is not the roll-up of {codes}"
            )
    return problems


def _item_violations(where: str, item: Any) -> list[str]:
    if not isinstance(item, dict):
        return [f"{where}: must be an object"]
    fields = list(item)
    if fields not in (ITEM_FIELDS, [*ITEM_FIELDS, "description"]):
        return [f"{where}: fields {fields} are not the cookbook's {ITEM_FIELDS} (+ description)"]
    problems = []
    if not (isinstance(item["id"], str) and ITEM_ID.fullmatch(item["id"])):
        problems.append(f"{where}.id: not 32 lowercase hex digits")
    if type(item["order"]) is not int or item["order"] < 1:
        problems.append(f"{where}.order: must be an integer from 1")
    if item["status_code"] not in (1, 2, 3) or type(item["status_code"]) is not int:
        problems.append(f"{where}.status_code: must be 1, 2 or 3")
    stamp = item["last_updated"]
    if not (isinstance(stamp, str) and TIMESTAMP.fullmatch(stamp)):
        problems.append(f"{where}.last_updated: {stamp!r} is not ISO 8601 with seconds and offset")
    else:
        datetime.fromisoformat(stamp)
    if not isinstance(item["name"], str) or not item["name"]:
        problems.append(f"{where}.name: must be a non-empty string")
    if "description" in item and (
        not isinstance(item["description"], str) or not item["description"]
    ):
        problems.append(f"{where}.description: present but empty")
    return problems
