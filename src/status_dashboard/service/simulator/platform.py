"""The platform the simulator shows: the demo catalog's environments, with reproducible stamps,
and the small edits every scenario makes of them.

The catalog is read with the project's own catalog code and merged into nothing, so names, keys
and ids are exactly those `serve --demo` shows. Every choice a scenario makes (which item it
disrupts, which stamp an item carries) is drawn from a generator seeded with the simulator's
seed and the name of that choice: one seed gives the same answers on every run, and one choice
never shifts another's draws.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from status_dashboard.domain.catalog import merge_catalog
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.catalog import read_catalog

OLDEST_STAMP = timedelta(days=14)
NEWEST_STAMP = timedelta(minutes=30)
"""Items of the catalog last changed between 30 minutes and 14 days before the simulator's
anchor hour: plausible, and never in the future."""


def seeded(seed: int, *choice: str) -> random.Random:
    """A generator of its own for one named choice (a string seed is hashed the same way on
    every run, whatever PYTHONHASHSEED says)."""
    return random.Random(":".join((str(seed), *choice)))


def read_environments(path: Path, now: datetime) -> tuple[Environment, ...]:
    """The environments a catalog file declares, as a store that loaded it at `now` holds them.

    Raises CatalogInvalid (service.catalog) when the file is not a valid catalog.
    """
    return merge_catalog((), read_catalog(path), now).environments


def anchor_hour(started_at: datetime) -> datetime:
    """The whole hour the simulator started in: runs started in the same hour show the same
    stamps, so their static scenarios have the same ETags."""
    return started_at.replace(minute=0, second=0, microsecond=0)


def restamped(environment: Environment, seed: int, anchor: datetime) -> Environment:
    """`environment` with every item's `last_updated` drawn (to the minute) before `anchor`."""
    span = int((OLDEST_STAMP - NEWEST_STAMP).total_seconds() // 60)

    def stamp(_: Group, item: Item) -> Item:
        minutes = seeded(seed, "stamp", environment.key, item.key).randrange(span)
        moment = anchor - NEWEST_STAMP - timedelta(minutes=minutes)
        return replace(item, last_updated=moment)

    return each_item(environment, stamp)


def each_item(environment: Environment, edit: Callable[[Group, Item], Item]) -> Environment:
    """`environment` with `edit` applied to every item (given with its group)."""
    return with_groups(
        environment,
        tuple(
            replace(group, items=tuple(edit(group, item) for item in group.items))
            for group in environment.groups
        ),
    )


def with_groups(environment: Environment, groups: tuple[Group, ...]) -> Environment:
    return replace(environment, groups=groups)


def with_status(
    item: Item, code: StatusCode, description: str | None = None, at: datetime | None = None
) -> Item:
    """`item` showing `code` and `description` (none when not given), changed `at` if given."""
    return replace(
        item,
        status_code=code,
        description=description,
        last_updated=item.last_updated if at is None else at,
    )


def items_of(environment: Environment) -> Iterator[tuple[Group, Item]]:
    """Every item with its group, in display order."""
    for group in environment.sorted().groups:
        for item in group.items:
            yield group, item


def everything(environment: Environment, code: StatusCode) -> Environment:
    """Every item showing `code`, without descriptions."""
    return each_item(environment, lambda _, item: with_status(item, code))
