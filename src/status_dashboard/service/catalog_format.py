"""The catalog file format (docs/catalog.md): a YAML tree checked field by field into a spec.

Every check reports into one list and carries on with a harmless stand-in value, so the author of
a file sees all of its problems in one run instead of one per run. The spec built alongside is
only handed out when the list stays empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from re import Pattern
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from status_dashboard.domain import ids
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.model import LANGUAGES, Translation
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.catalog_checks import CheckReader
from status_dashboard.service.catalog_problems import CatalogProblem
from status_dashboard.service.catalog_yaml import Entry, Node, entries, is_boolean, join, kind_of

FORMAT_VERSION = 1
NAME_MAX = 200
DESCRIPTION_MAX = 2000
ORDER_MAX = 1_000_000

_TOP = ("version", "environments")
_ENVIRONMENT = ("name", "order", "default", "strict", "groups")
_GROUP = ("id", "name", "order", "items")
_ITEM = ("id", "name", "order", "status", "description", "translations", "checks")
_TRANSLATION = ("name", "description")

_KEY_HINT = (
    "use 1 to 64 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit"
)
_GROUP_ID_HINT = "a group id is 20 characters of A-Z, a-z, 0-9, '-' and '_'"
_ITEM_ID_HINT = "an item id is 32 lowercase hexadecimal digits"
_STATUS_HINT = "must be 1, 2 or 3 (or operational, disrupted, unknown)"
_NO_TRANSLATIONS: Mapping[str, Translation] = MappingProxyType({})


def read_spec(root: Node | None, filename: str) -> tuple[CatalogSpec, tuple[CatalogProblem, ...]]:
    """The spec a document describes, and every problem found in it (the spec is void if any)."""
    reader = _Reader(filename)
    spec = reader.catalog(root)
    return spec, tuple(reader.problems)


class _Ordered(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def order(self) -> int: ...


_S = TypeVar("_S", bound=_Ordered)


@dataclass(frozen=True, slots=True)
class _Placed(Generic[_S]):
    """A spec and where its order came from: its `order:` value, or its key when defaulted.

    `order_at` is None when the order given was invalid, so it takes no part in uniqueness.
    """

    spec: _S
    order_at: Node | None
    explicit: bool


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[CatalogProblem] = []
        self._ids: dict[str, str] = {}  # id -> path of the group or item that has it
        self._default: str | None = None  # key of the environment declared the default
        self._checks = CheckReader(self)

    def report(self, node: Node, message: str) -> None:
        problem = CatalogProblem(self.filename, node.line, node.column, node.path, message)
        self.problems.append(problem)

    # --- levels of the file, top down

    def catalog(self, root: Node | None) -> CatalogSpec:
        if root is None:
            self.report(Node(None, "", 1, 1), "the file is empty; a catalog needs `environments:`")
            return CatalogSpec()
        fields = self.fields(root, _TOP, "the catalog")
        if fields is None:
            return CatalogSpec()
        self.version(fields.get("version"))
        declared = fields.get("environments")
        if declared is None:
            self.report(root.at("environments"), "is required")
            return CatalogSpec()
        keyed = self.keyed(declared.value, "environment")
        if declared.value.value is None or declared.value.value == {}:
            self.report(declared.value, "must declare at least one environment")
        placed = [self.environment(entry, position) for position, entry in keyed]
        return CatalogSpec(environments=self.ordered(placed, "environment"))

    def environment(self, entry: Entry, position: int) -> _Placed[EnvironmentSpec] | None:
        fields = self.fields(entry.value, _ENVIRONMENT, "an environment")
        if fields is None:
            return None
        key = str(entry.key.value)
        order, order_at, explicit = self.order(fields.get("order"), entry.key, position)
        is_default = self.flag(fields.get("default"))
        if is_default:
            self.claim_default(key, fields["default"].value)
        spec = EnvironmentSpec(
            key=key,
            order=order,
            name=self.name(fields, entry.key, required=False),
            strict=self.flag(fields.get("strict")),
            is_default=is_default,
            groups=self.groups(fields.get("groups"), key),
        )
        return _Placed(spec, order_at, explicit)

    def groups(self, declared: Entry | None, env_key: str) -> tuple[GroupSpec, ...]:
        if declared is None:
            return ()
        item_groups: dict[str, str] = {}  # item key -> group key, across the whole environment
        placed = [
            self.group(entry, position, env_key, item_groups)
            for position, entry in self.keyed(declared.value, "group")
        ]
        return self.ordered(placed, "group")

    def group(
        self, entry: Entry, position: int, env_key: str, item_groups: dict[str, str]
    ) -> _Placed[GroupSpec] | None:
        fields = self.fields(entry.value, _GROUP, "a group")
        if fields is None:
            return None
        key = str(entry.key.value)
        pinned = self.pinned_id(fields.get("id"), ids.GROUP_ID_PATTERN, _GROUP_ID_HINT)
        self.claim_id(pinned, ids.group_id(env_key, key), fields, entry)
        order, order_at, explicit = self.order(fields.get("order"), entry.key, position)
        spec = GroupSpec(
            key=key,
            name=self.name(fields, entry.key, required=True) or "",
            order=order,
            id=pinned,
            items=self.items(fields.get("items"), env_key, key, item_groups),
        )
        return _Placed(spec, order_at, explicit)

    def items(
        self, declared: Entry | None, env_key: str, group_key: str, item_groups: dict[str, str]
    ) -> tuple[ItemSpec, ...]:
        if declared is None:
            return ()
        placed = []
        for position, entry in self.keyed(declared.value, "item"):
            key = str(entry.key.value)
            first = item_groups.setdefault(key, group_key)
            unique = first == group_key
            if not unique:
                message = f"item key {key!r} is already used in group {first!r}"
                self.report(entry.key, f"{message}; item keys are unique within an environment")
            placed.append(self.item(entry, position, env_key, claim=unique))
        return self.ordered(placed, "item")

    def item(
        self, entry: Entry, position: int, env_key: str, *, claim: bool
    ) -> _Placed[ItemSpec] | None:
        fields = self.fields(entry.value, _ITEM, "an item")
        if fields is None:
            return None
        key = str(entry.key.value)
        pinned = self.pinned_id(fields.get("id"), ids.ITEM_ID_PATTERN, _ITEM_ID_HINT)
        if claim:  # a repeated key would claim the same derived id twice: one problem is enough
            self.claim_id(pinned, ids.item_id(env_key, key), fields, entry)
        order, order_at, explicit = self.order(fields.get("order"), entry.key, position)
        spec = ItemSpec(
            key=key,
            name=self.name(fields, entry.key, required=True) or "",
            order=order,
            id=pinned,
            status=self.status(fields.get("status")),
            description=self.description(fields.get("description")),
            translations=self.translations(fields.get("translations")),
            checks=self._checks.checks(fields.get("checks")),
        )
        return _Placed(spec, order_at, explicit)

    def translations(self, declared: Entry | None) -> Mapping[str, Translation]:
        if declared is None or declared.value.value is None:
            return _NO_TRANSLATIONS
        if not isinstance(declared.value.value, Mapping):
            self.report(
                declared.value, f"must be a mapping of languages, not {kind_of(declared.value)}"
            )
            return _NO_TRANSLATIONS
        found: dict[str, Translation] = {}
        for entry in entries(declared.value):
            if entry.key.value in LANGUAGES:
                found[str(entry.key.value)] = self.translation(entry)
            else:
                expected = ", ".join(LANGUAGES)
                self.report(entry.key, f"unknown language {entry.key.value!r}; expected {expected}")
        return MappingProxyType(found)

    def translation(self, entry: Entry) -> Translation:
        before = len(self.problems)  # "needs a name" only when nothing else was said about it
        fields = self.fields(entry.value, _TRANSLATION, "a translation")
        if fields is None:
            return Translation()
        name = self.name(fields, entry.key, required=False)
        description = self.description(fields.get("description"))
        if name is None and description is None and len(self.problems) == before:
            self.report(entry.value, "a translation needs a name, a description or both")
        return Translation(name=name, description=description)

    # --- shared rules

    def fields(self, node: Node, allowed: tuple[str, ...], what: str) -> dict[str, Entry] | None:
        """The entries of a mapping, by field name; None when `node` is no mapping at all.

        An empty value (`prod:` alone on its line) counts as an empty mapping.
        """
        if node.value is None:
            return {}
        if not isinstance(node.value, Mapping):
            self.report(node, f"{what} must be a mapping of fields, not {kind_of(node)}")
            return None
        found: dict[str, Entry] = {}
        for entry in entries(node):
            if isinstance(entry.key.value, str) and entry.key.value in allowed:
                found[entry.key.value] = entry
            else:
                expected = ", ".join(allowed)
                self.report(entry.key, f"unknown field {entry.key.value!r}; expected {expected}")
        return found

    def keyed(self, node: Node, what: str) -> list[tuple[int, Entry]]:
        """Entries keyed by catalog keys, with their 1-based position; bad keys are reported."""
        if node.value is None:
            return []
        if not isinstance(node.value, Mapping):
            self.report(node, f"must be a mapping of {what} keys to {what}s, not {kind_of(node)}")
            return []
        good = []
        for position, entry in enumerate(entries(node), start=1):
            key = entry.key.value
            if not isinstance(key, str):
                self.report(
                    entry.key,
                    f"{what} keys must be text, not {kind_of(entry.key)} (put it in quotes)",
                )
            elif not ids.KEY_PATTERN.fullmatch(key):
                self.report(entry.key, f"{key!r} is not a valid {what} key: {_KEY_HINT}")
            elif what == "environment" and key in ids.RESERVED_PATH_SEGMENTS:
                self.report(entry.key, _reserved(key))
            else:
                good.append((position, entry))
        return good

    def ordered(self, placed: list[_Placed[_S] | None], what: str) -> tuple[_S, ...]:
        """The specs, after checking that no two siblings share an order."""
        taken: dict[int, str] = {}
        for p in placed:
            if p is None or p.order_at is None:
                continue
            order = p.spec.order
            if order not in taken:
                taken[order] = p.spec.key
                continue
            how = "" if p.explicit else " (its position in the file, as it gives no order)"
            self.report(
                p.order_at, f"order {order}{how} is already used by {what} {taken[order]!r}"
            )
        return tuple(p.spec for p in placed if p is not None)

    def order(
        self, declared: Entry | None, key: Node, position: int
    ) -> tuple[int, Node | None, bool]:
        """The order given, or the position in the file; and the node to blame for a clash."""
        if declared is None or declared.value.value is None:
            return position, key.at(join(key.path, "order")), False
        value = declared.value.value
        if is_boolean(value) or not isinstance(value, int) or not 1 <= value <= ORDER_MAX:
            self.report(declared.value, f"must be a whole number from 1 to {ORDER_MAX:,}")
            return position, None, True
        return int(value), declared.value, True

    def name(self, fields: dict[str, Entry], parent: Node, *, required: bool) -> str | None:
        declared = fields.get("name")
        if declared is None:
            if required:
                self.report(parent.at(join(parent.path, "name")), "is required")
            return None
        text = self.text(declared.value)
        if text is None:
            return None
        if not text:
            self.report(declared.value, "must not be empty")
        elif len(text) > NAME_MAX:
            self.report(declared.value, f"is {len(text)} characters long; at most {NAME_MAX}")
        elif "\n" in text or "\r" in text:
            self.report(declared.value, "must be a single line")
        return text

    def description(self, declared: Entry | None) -> str | None:
        """The description, or None when absent or blank (a blank one means "no description")."""
        if declared is None or declared.value.value is None:
            return None
        text = self.text(declared.value)
        if not text:
            return None
        if len(text) > DESCRIPTION_MAX:
            limit = f"at most {DESCRIPTION_MAX}"
            self.report(declared.value, f"is {len(text)} characters long; {limit}")
        return text

    def text(self, node: Node) -> str | None:
        """A string value, stripped; numbers and dates are refused rather than guessed back."""
        if node.value is None:
            return ""
        if not isinstance(node.value, str):
            self.report(node, f"must be text, not {kind_of(node)} (put it in quotes)")
            return None
        return node.value.strip()

    def flag(self, declared: Entry | None) -> bool | None:
        if declared is None or declared.value.value is None:
            return None
        if is_boolean(declared.value.value):
            return bool(declared.value.value)
        # Only real YAML booleans: "yes", "on" or 1 are typos more often than intent.
        self.report(declared.value, f"must be true or false, not {kind_of(declared.value)}")
        return None

    def version(self, declared: Entry | None) -> None:
        if declared is None or declared.value.value is None:
            return
        value = declared.value.value
        if is_boolean(value) or not isinstance(value, int) or value != FORMAT_VERSION:
            self.report(
                declared.value, f"must be {FORMAT_VERSION}, the only version of this format"
            )

    def status(self, declared: Entry | None) -> StatusCode | None:
        if declared is None or declared.value.value is None:
            return None
        if is_boolean(declared.value.value):
            self.report(declared.value, _STATUS_HINT)
            return None
        try:
            return StatusCode.parse(declared.value.value)
        except ValueError as exc:
            self.report(declared.value, str(exc))
            return None

    def pinned_id(self, declared: Entry | None, pattern: Pattern[str], hint: str) -> str | None:
        if declared is None or declared.value.value is None:
            return None
        text = self.text(declared.value)
        if text is None:
            return None
        if not pattern.fullmatch(text):
            self.report(declared.value, f"{text!r} is not a valid id: {hint}")
            return None
        return text

    def claim_id(
        self, pinned: str | None, derived: str, fields: dict[str, Entry], entry: Entry
    ) -> None:
        """Ids, pinned or derived from the key, must name one group or item in the whole file."""
        value = pinned or derived
        owner = self._ids.setdefault(value, entry.key.path)
        if owner != entry.key.path:
            at = fields["id"].value if pinned else entry.key
            self.report(at, f"id {value} is already the id of {owner}")

    def claim_default(self, key: str, at: Node) -> None:
        if self._default is None:
            self._default = key
        else:
            self.report(at, f"only one environment can be the default, and {self._default!r} is")


def _reserved(key: str) -> str:
    taken = ", ".join(sorted(ids.RESERVED_PATH_SEGMENTS))
    return f"{key!r} cannot be an environment key: /{key} is another page ({taken} are taken)"
