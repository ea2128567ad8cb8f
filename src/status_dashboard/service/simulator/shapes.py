"""The scenarios whose dashboard stays the same from call to call: shapes of the v1 document a
client must read right (all operational, one group down, empty, huge, exotic text, ...).

Each takes an environment of the catalog (with its seeded stamps) and gives the environment the
scenario shows; rendering it is the snapshot's business, so the wire format is the real one.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from status_dashboard.domain import ids
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.simulator import texts
from status_dashboard.service.simulator.platform import (
    each_item,
    everything,
    items_of,
    seeded,
    with_groups,
    with_status,
)

LARGE_GROUPS = 50
LARGE_ITEMS = 20
LARGE_DISRUPTED_SHARE = 0.03
LARGE_UNKNOWN_SHARE = 0.03


def all_operational(environment: Environment) -> Environment:
    return everything(environment, StatusCode.OPERATIONAL)


def all_unknown(environment: Environment) -> Environment:
    return everything(environment, StatusCode.UNKNOWN)


def one_disrupted(environment: Environment, seed: int) -> Environment:
    """One item, drawn by the seed, Disrupted with a description; all others Operational."""
    pool = [item.key for _, item in items_of(environment)]
    if not pool:
        return environment
    draw = seeded(seed, "one-disrupted", environment.key)
    chosen = draw.choice(pool)
    description = draw.choice(texts.DISRUPTIONS)

    def edit(_: Group, item: Item) -> Item:
        if item.key == chosen:
            return with_status(item, StatusCode.DISRUPTED, description)
        return with_status(item, StatusCode.OPERATIONAL)

    return each_item(environment, edit)


def group_disrupted(environment: Environment, seed: int) -> Environment:
    """Every item of one group, drawn by the seed, Disrupted; all others Operational."""
    pool = [group.key for group in environment.sorted().groups if group.items]
    if not pool:
        return environment
    chosen = seeded(seed, "group-disrupted", environment.key).choice(pool)

    def edit(group: Group, item: Item) -> Item:
        if group.key == chosen:
            return with_status(item, StatusCode.DISRUPTED, texts.GROUP_OUTAGE)
        return with_status(item, StatusCode.OPERATIONAL)

    return each_item(environment, edit)


def empty(environment: Environment) -> Environment:
    return with_groups(environment, ())


def empty_group(environment: Environment) -> Environment:
    """The catalog as written, and after its groups one group without any item."""
    last = max((group.order for group in environment.groups), default=0)
    key = "simulator-empty-group"
    extra = Group(
        id=ids.group_id(environment.key, key),
        key=key,
        name=f"{len(environment.groups) + 1}. {texts.EMPTY_GROUP}",
        order=last + 1,
    )
    return with_groups(environment, (*environment.groups, extra))


def without_descriptions(environment: Environment) -> Environment:
    return each_item(environment, lambda _, item: replace(item, description=None))


def large(environment: Environment, seed: int) -> Environment:
    """50 groups of 20 items, named after the catalog's, a few Disrupted or Unknown."""
    models = environment.sorted().groups or (Group(id="", key="", name="Services", order=1),)
    names = [item.name for group in models for item in group.items] or ["Service"]
    draw = seeded(seed, "large", environment.key)
    stamp = min(
        (item.last_updated for _, item in items_of(environment)),
        default=datetime(2025, 1, 1, tzinfo=UTC),
    )
    groups = []
    for g in range(1, LARGE_GROUPS + 1):
        model = models[(g - 1) % len(models)]
        title = model.name.split(". ", 1)[-1]
        items = tuple(
            _large_item(
                environment.key, g, i, f"{names[(g * i) % len(names)]} #{g}.{i}", stamp, draw
            )
            for i in range(1, LARGE_ITEMS + 1)
        )
        key = f"large-{g}"
        groups.append(
            Group(
                id=ids.group_id(environment.key, key),
                key=key,
                name=f"{g}. {title} - part {(g - 1) // len(models) + 1}",
                order=g,
                items=items,
            )
        )
    return with_groups(environment, tuple(groups))


def _large_item(
    environment_key: str, g: int, i: int, name: str, stamp: datetime, draw: random.Random
) -> Item:
    roll = draw.random()
    code, description = StatusCode.OPERATIONAL, None
    if roll < LARGE_DISRUPTED_SHARE:
        code, description = StatusCode.DISRUPTED, draw.choice(texts.DISRUPTIONS)
    elif roll < LARGE_DISRUPTED_SHARE + LARGE_UNKNOWN_SHARE:
        code = StatusCode.UNKNOWN
    key = f"large-{g}-{i}"
    return Item(
        id=ids.item_id(environment_key, key),
        key=key,
        name=name,
        order=i,
        status_code=code,
        last_updated=stamp - timedelta(minutes=draw.randrange(60 * 24)),
        description=description,
    )


def long_texts(environment: Environment) -> Environment:
    """The catalog's statuses; every name lengthened in other scripts, every item a long
    Unicode description."""
    groups = []
    for g, group in enumerate(environment.sorted().groups):
        items = tuple(
            replace(
                item,
                name=f"{item.name} — {texts.NAME_SUFFIXES[(g + i) % len(texts.NAME_SUFFIXES)]}",
                description=texts.long_text(g + i),
            )
            for i, item in enumerate(group.items)
        )
        suffix = texts.NAME_SUFFIXES[g % len(texts.NAME_SUFFIXES)]
        groups.append(replace(group, name=f"{group.name} · {suffix}", items=items))
    return with_groups(environment, tuple(groups))


def timezone_shift(environment: Environment, zone: tzinfo, anchor: datetime) -> Environment:
    """The catalog's statuses, stamps alternating before and after the latest change of the
    zone's UTC offset (in Europe/Brussels: the last switch to or from summer time)."""
    change = latest_offset_change(zone, anchor)
    step = timedelta(minutes=15)
    ordered = [item.key for _, item in items_of(environment)]
    stamps = {
        key: change - step * (1 + (n // 2) % 8) if n % 2 == 0 else change + step * ((n // 2) % 8)
        for n, key in enumerate(ordered)
    }
    return each_item(environment, lambda _, item: replace(item, last_updated=stamps[item.key]))


def latest_offset_change(zone: tzinfo, before: datetime, *, days: int = 400) -> datetime:
    """The first instant (to the hour, in UTC) of the zone's latest UTC offset before `before`;
    two hours before `before` when the zone kept one offset that long (so that the stamps drawn
    around it, at most two hours later, are not in the future)."""
    moment = before.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(zone).utcoffset()
    for _ in range(days * 24):
        earlier = moment - timedelta(hours=1)
        if earlier.astimezone(zone).utcoffset() != offset:
            return moment
        moment = earlier
    return before - timedelta(hours=2)
