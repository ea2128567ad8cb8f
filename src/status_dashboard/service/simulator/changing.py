"""The scenarios that change from one call of a client to its next: items appear, disappear,
change places, flap, or change every few calls (the ETag cycle of `not-modified`).

Each is a pure function of the catalog's environment, the seed and the client's call number
(1 for its first call), plus, where a status changes, the moment of the change; the simulator
keeps the count per client (service.simulator.calls).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from status_dashboard.domain import ids
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.simulator import texts
from status_dashboard.service.simulator.platform import (
    each_item,
    items_of,
    seeded,
    with_groups,
    with_status,
)

GROWTH_CYCLE = 6
"""`new-item` adds one item per call for five calls, `removed-item` takes one away: on the
sixth call the catalog is whole again and the cycle restarts."""
REORDER_CYCLE = 12
"""`reordered` has this many arrangements, one per call in turn."""
NOT_MODIFIED_EVERY = 3
"""`not-modified` changes its body on the first of every this many calls."""


def step_in_cycle(call: int, cycle: int) -> int:
    """0 on the first call, then 1, 2, ... up to `cycle - 1`, and 0 again."""
    return (max(call, 1) - 1) % cycle


def new_items(environment: Environment, seed: int, count: int, stamp: datetime) -> Environment:
    """The catalog plus `count` new items (Unknown, as a new item with no data is), each in a
    group drawn by the seed, after that group's own items."""
    groups = list(environment.sorted().groups)
    if not groups:
        return environment
    added: dict[str, list[Item]] = {}
    for n in range(count):
        group = seeded(seed, "new-item", environment.key, str(n)).choice(groups)
        siblings = [*group.items, *added.get(group.key, [])]
        key = f"simulator-new-{n + 1}"
        item = Item(
            id=ids.item_id(environment.key, key),
            key=key,
            name=texts.NEW_SERVICES[n % len(texts.NEW_SERVICES)],
            order=max((i.order for i in siblings), default=0) + 1,
            status_code=StatusCode.UNKNOWN,
            last_updated=stamp,
        )
        added.setdefault(group.key, []).append(item)
    return with_groups(
        environment,
        tuple(replace(g, items=(*g.items, *added.get(g.key, ()))) for g in groups),
    )


def removed_items(environment: Environment, seed: int, count: int) -> Environment:
    """The catalog without `count` of its items, in an order drawn by the seed (one always stays)."""
    keys = [item.key for _, item in items_of(environment)]
    seeded(seed, "removed-item", environment.key).shuffle(keys)
    gone = set(keys[: min(count, len(keys) - 1)])
    return with_groups(
        environment,
        tuple(
            replace(g, items=tuple(i for i in g.items if i.key not in gone))
            for g in environment.groups
        ),
    )


def reordered(environment: Environment, seed: int, step: int) -> Environment:
    """Arrangement number `step` of groups and items, `order` renumbered 1, 2, ... to match.

    Two arrangements in a row list the groups in different orders: when chance drew the same
    order twice, the second is turned by one group (a catalog of one group has one order).
    """
    arrangement = _arrangement(environment, seed, step)
    before = _arrangement(environment, seed, (step - 1) % REORDER_CYCLE)
    if [group for group, _ in arrangement] == [group for group, _ in before]:
        arrangement = arrangement[1:] + arrangement[:1]
    by_key = {group.key: group for group in environment.groups}
    groups = []
    for position, (group_key, item_keys) in enumerate(arrangement, start=1):
        group = by_key[group_key]
        items = {item.key: item for item in group.items}
        renumbered = tuple(
            replace(items[key], order=order) for order, key in enumerate(item_keys, start=1)
        )
        groups.append(replace(group, order=position, items=renumbered))
    return with_groups(environment, tuple(groups))


def _arrangement(
    environment: Environment, seed: int, step: int
) -> list[tuple[str, tuple[str, ...]]]:
    draw = seeded(seed, "reordered", environment.key, str(step))
    arrangement = []
    for group in environment.sorted().groups:
        keys = [item.key for item in group.items]
        draw.shuffle(keys)
        arrangement.append((group.key, tuple(keys)))
    draw.shuffle(arrangement)
    return arrangement


def flapping(environment: Environment, seed: int, call: int, at: datetime) -> Environment:
    """One item, drawn by the seed, Disrupted on odd calls and Operational on even ones,
    changed `at` (the moment of this call)."""
    return _toggled(environment, seed, "flapping", call % 2 == 1, texts.FLAPPING, at)


def not_modified(
    environment: Environment, seed: int, call: int, changed_at: datetime | None
) -> Environment:
    """The catalog, one item of it (drawn by the seed) Disrupted in every other version; a
    version lasts `NOT_MODIFIED_EVERY` calls and began `changed_at` (None for the first)."""
    version = (max(call, 1) - 1) // NOT_MODIFIED_EVERY
    return _toggled(environment, seed, "not-modified", version % 2 == 1, texts.CHANGED, changed_at)


def version_starts(call: int) -> bool:
    """True when `not-modified`'s call number `call` begins a new version of the body."""
    return call > 1 and (call - 1) % NOT_MODIFIED_EVERY == 0


def _toggled(
    environment: Environment,
    seed: int,
    choice: str,
    disrupted: bool,
    description: str,
    at: datetime | None,
) -> Environment:
    pool = [item.key for _, item in items_of(environment)]
    if not pool:
        return environment
    chosen = seeded(seed, choice, environment.key).choice(pool)

    def edit(_: Group, item: Item) -> Item:
        if item.key != chosen:
            return item
        if disrupted:
            return with_status(item, StatusCode.DISRUPTED, description, at=at)
        return with_status(item, StatusCode.OPERATIONAL, at=at)

    return each_item(environment, edit)
