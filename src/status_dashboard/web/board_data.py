"""Every item of an environment, by group, as operators see it (one `ItemView` per item).

`Operations.board` reads every reconcile input once for the whole board (not once per item), and
builds the views as `Operations.item` does, so their `version` is what If-Match expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from status_dashboard.domain.accounts import Principal
from status_dashboard.domain.model import Group
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.operator import ItemView, Operations


@dataclass(frozen=True, slots=True)
class GroupBoard:
    group: Group
    items: tuple[ItemView, ...]


def environment_board(
    operations: Operations, principal: Principal, environment_key: str
) -> list[GroupBoard]:
    return [
        GroupBoard(group, views) for group, views in operations.board(principal, environment_key)
    ]


@dataclass(frozen=True, slots=True)
class Shown:
    """What the public sees of an item now, and which rule decided it."""

    status_code: StatusCode
    description: str | None
    source: str
    reason: str
    last_updated: datetime


def shown(view: ItemView) -> Shown:
    state = view.state
    if state is None:
        item = view.item
        return Shown(
            item.status_code, item.description, "manual", "manual status", item.last_updated
        )
    return Shown(
        state.status_code, state.description, state.source.value, state.reason, state.last_updated
    )


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row's form was refused, with what was typed, to show it again in that row."""

    item_id: str
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def item_names(boards: list[GroupBoard]) -> dict[str, str]:
    """Item id to name, to show the items an incident or a window names."""
    return {view.item.id: view.item.name for board in boards for view in board.items}
