"""The default scenario: incidents that come and go, so a polling client sees changes.

The script is a cycle of phases of `PHASE_S` seconds each; the phase shown is the one the time
since the simulator started falls in. Each phase says the whole state of the few items it
involves (the others are Operational), so any moment's dashboard follows from the phase number
alone, and an item's `last_updated` is the start of the latest phase that changed its status or
description (the catalog's stamp if none has yet).

| phase | what the dashboard shows                                                      |
|-------|-------------------------------------------------------------------------------|
| 0     | calm: everything Operational                                                   |
| 1     | the IDP's authorization item Disrupted, with the cookbook's description        |
| 2     | ... and an eHealthBox item Unknown                                             |
| 3     | the IDP Operational again, with a description saying it was fixed             |
| 4     | calm                                                                           |
| 5     | a MyCareNet item Disrupted: slow answers                                       |
| 6     | the same item, its description updated: the cause identified                  |
| 7     | the same item Operational, with a description saying it is resolved           |

Which eHealthBox and MyCareNet items is drawn by the seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.simulator import texts
from status_dashboard.service.simulator.platform import each_item, items_of, seeded, with_status

PHASE_S = 30.0


@dataclass(frozen=True, slots=True)
class Shown:
    """What one item of the script shows in a phase."""

    role: str
    status: StatusCode
    description: str | None = None


_D, _U, _O = StatusCode.DISRUPTED, StatusCode.UNKNOWN, StatusCode.OPERATIONAL
PHASES: tuple[tuple[Shown, ...], ...] = (
    (),
    (Shown("identity", _D, texts.IDP_DISRUPTION),),
    (Shown("identity", _D, texts.IDP_DISRUPTION), Shown("mailbox", _U)),
    (Shown("identity", _O, texts.IDP_RECOVERED), Shown("mailbox", _U)),
    (),
    (Shown("billing", _D, texts.BILLING_SLOW),),
    (Shown("billing", _D, texts.BILLING_IDENTIFIED),),
    (Shown("billing", _O, texts.BILLING_RECOVERED),),
)
CYCLE_S = PHASE_S * len(PHASES)

_CAST = {
    "identity": ("iam", "idp-authorization"),
    "mailbox": ("ehbox", None),
    "billing": ("mycarenet", None),
}
"""Who plays each role: (group key, item key); no item key means one drawn from the group, and
a catalog without that group lends any item."""


def phase_at(elapsed_s: float) -> int:
    """The number of the phase `elapsed_s` seconds after the start falls in (0, 1, 2, ...)."""
    return max(0, math.floor(elapsed_s / PHASE_S))


def cast(environment: Environment, seed: int) -> dict[str, str]:
    """Role -> the key of the item playing it in `environment`."""
    everyone = [(group.key, item.key) for group, item in items_of(environment)]
    roles: dict[str, str] = {}
    if not everyone:
        return roles
    for role, (group_key, item_key) in _CAST.items():
        keys = [i for g, i in everyone if g == group_key]
        draw = seeded(seed, "timeline", environment.key, role)
        if item_key in keys:
            roles[role] = item_key
        else:
            roles[role] = draw.choice(keys or [i for _, i in everyone])
    return roles


def timeline(environment: Environment, seed: int, started_at: datetime, phase: int) -> Environment:
    """`environment` as phase number `phase` of the script shows it, everything else Operational."""
    roles = cast(environment, seed)
    shown = {roles[s.role]: s for s in PHASES[phase % len(PHASES)] if s.role in roles}

    def edit(_: Group, item: Item) -> Item:
        changed = _last_change(item.key, roles, phase)
        at = None if changed is None else started_at + timedelta(seconds=changed * PHASE_S)
        state = shown.get(item.key)
        if state is None:
            return with_status(item, StatusCode.OPERATIONAL, at=at)
        return with_status(item, state.status, state.description, at=at)

    return each_item(environment, edit)


def _state(item_key: str, roles: dict[str, str], phase: int) -> tuple[StatusCode, str | None]:
    for shown in PHASES[phase % len(PHASES)]:
        if roles.get(shown.role) == item_key:
            return shown.status, shown.description
    return StatusCode.OPERATIONAL, None


def _last_change(item_key: str, roles: dict[str, str], phase: int) -> int | None:
    """The latest phase number up to `phase` that changed what the item shows; None if none
    did since the start (a cycle back suffices: the script repeats)."""
    for number in range(phase, max(0, phase - len(PHASES)), -1):
        if _state(item_key, roles, number) != _state(item_key, roles, number - 1):
            return number
    return None
