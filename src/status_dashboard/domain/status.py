"""Status codes of the v1 contract and the group roll-up."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class StatusCode(IntEnum):
    """The three codes of cookbook v1.4, with the wire values it fixes."""

    OPERATIONAL = 1
    DISRUPTED = 2
    UNKNOWN = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: object) -> StatusCode:
        """Read a code from its number (1, 2, 3) or its name ("disrupted"), as files and forms give it.

        Raises ValueError with the accepted spellings when `value` is neither.
        """
        if isinstance(value, bool):
            raise ValueError(_PARSE_HINT)
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                raise ValueError(_PARSE_HINT) from None
        if isinstance(value, str):
            spelled = value.strip().upper()
            if spelled in cls.__members__:
                return cls[spelled]
            if spelled.isascii() and spelled.isdigit():
                return cls.parse(int(spelled))
        raise ValueError(_PARSE_HINT)


_PARSE_HINT = "must be 1, 2 or 3 (or operational, disrupted, unknown)"

# Disrupted outranks Unknown: a partner must learn of a known failure even when another item
# of the same group has no data (docs/design.md §2).
_SEVERITY = {StatusCode.OPERATIONAL: 0, StatusCode.UNKNOWN: 1, StatusCode.DISRUPTED: 2}


def rollup(codes: Iterable[StatusCode]) -> StatusCode:
    """A group's code: 2 if any item is 2, else 3 if any is 3, else 1; no items at all is 3."""
    worst: StatusCode | None = None
    for code in codes:
        if worst is None or _SEVERITY[code] > _SEVERITY[worst]:
            worst = code
            if worst is StatusCode.DISRUPTED:
                break
    return StatusCode.UNKNOWN if worst is None else worst
