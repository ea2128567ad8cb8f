"""The checks part of a catalog merge (`domain.catalog.merge_catalog`).

Checks are not in the environment tree: the store hands the merge the checks each item has now,
and the merge works out which items get other ones, so that declaring the same checks again
writes nothing, and so that two checks never answer to one push token in the state that results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

from status_dashboard.domain.checks import CheckDefinition, CheckSchedule, PushCheck
from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.model import Environment

CheckSpec: TypeAlias = "tuple[str, CheckDefinition, CheckSchedule]"
"""One check as the catalog declares it: its key (unique within its item), what to run, when."""

NO_CHECKS: Mapping[str, Sequence[CheckSpec]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ChecksWrite:
    """An item whose checks become `checks` (as `MonitorStore.set_checks` does: a kept key keeps
    its state), written once the item itself is."""

    item_id: str
    checks: tuple[CheckSpec, ...]


class CheckMerge:
    """What one merge learns about checks, item by item; `stored` is what items have now."""

    def __init__(self, stored: Mapping[str, Sequence[CheckSpec]]) -> None:
        self._stored = stored
        self._declared: dict[str, tuple[CheckSpec, ...]] = {}
        self._previous_ids: dict[str, str] = {}  # item id after the merge -> its id before
        self._writes: list[ChecksWrite] = []

    def item(
        self, previous_id: str, item_id: str, declared: tuple[CheckSpec, ...] | None
    ) -> str | None:
        """Take note of an item of the merge; what changes about its checks, if anything.

        Checks compare as a set by key: their order in the file means nothing.
        """
        self._previous_ids[item_id] = previous_id
        if declared is None:
            return None
        self._declared[item_id] = declared
        before = {key: (d, s) for key, d, s in self._stored.get(previous_id, ())}
        after = {key: (d, s) for key, d, s in declared}
        parts = [
            f"{', '.join(keys)} {what}"
            for keys, what in (
                ([k for k in after if k not in before], "added"),
                ([k for k in after if k in before and before[k] != after[k]], "changed"),
                ([k for k in before if k not in after], "removed"),
            )
            if keys
        ]
        if not parts:
            return None
        self._writes.append(ChecksWrite(item_id, declared))
        return f"checks changed ({'; '.join(parts)})"

    def writes(self) -> tuple[ChecksWrite, ...]:
        return tuple(self._writes)

    def ensure_unique_push_tokens(self, environments: Sequence[Environment]) -> None:
        """Raise CatalogConflict when two checks of the merged state would answer to one push
        token: the declared checks, and the stored ones of every item that declares none.

        The stored ones are gone through first, so that a conflict names the declared check
        that brings the token, where the author of the file can change it.
        """
        if not self._declared:
            return  # the stored tokens are unique already
        items = [(env.key, item) for env in environments for g in env.groups for item in g.items]
        owners: dict[str, str] = {}
        for declared in (False, True):
            for env_key, item in items:
                if (item.id in self._declared) is not declared:
                    continue
                for key, definition, _ in self._final(item.id):
                    if not isinstance(definition, PushCheck):
                        continue
                    where = f"item {env_key}/{item.key}, check {key}"
                    first = owners.setdefault(definition.token, where)
                    if first != where:
                        # The token is a secret: name the checks, never the token.
                        raise CatalogConflict(
                            f"{where}: its push token is already the token of {first}; "
                            "each push check needs a token of its own"
                        )

    def _final(self, item_id: str) -> Sequence[CheckSpec]:
        declared = self._declared.get(item_id)
        if declared is not None:
            return declared
        return self._stored.get(self._previous_ids.get(item_id, item_id), ())
