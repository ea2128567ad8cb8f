"""The v1 dashboard document: exactly the cookbook's fields, in the cookbook's order."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.timestamps import wire_timestamp


def dashboard_document(environment: Environment, zone: tzinfo) -> dict[str, Any]:
    """`{"groups": [...]}` for one environment, groups and items in display order.

    Fields and their order follow the cookbook's example; `description` appears only when the
    item has one, as in the cookbook's second item.
    """
    return {"groups": [_group(group, zone) for group in environment.sorted().groups]}


def _group(group: Group, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "items": [_item(item, zone) for item in group.items],
        "status_code": int(group.status_code),
    }


def _item(item: Item, zone: tzinfo) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": item.id,
        "order": item.order,
        "status_code": int(item.status_code),
        "last_updated": wire_timestamp(item.last_updated, zone),
        "name": item.name,
    }
    if item.description:
        document["description"] = item.description
    return document
