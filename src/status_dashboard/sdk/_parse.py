"""Reading a v1 document into the models, tolerantly where the contract allows it.

- Unknown fields are kept in each model's `extra`, never fatal.
- A required field that is missing or of the wrong JSON type raises `ProtocolError` whose `path`
  names it, e.g. `groups[2].items[0].status_code`.
- A `status_code` that is an integer other than 1, 2, 3 reads as `StatusCode.UNKNOWN`, and the
  value received is kept in `extra["status_code"]`. The cookbook's own word for a status the
  reader cannot vouch for is Unknown; failing the whole document instead would blind a partner
  to every other service because the dashboard learned a new code.
- `description` absent, null or empty all read as None.

This is the SDK's hot path (a 1,000-item dashboard is read in a few milliseconds), so the
checks are written out by hand and every error path is built only when it is taken.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from status_dashboard.sdk._errors import ProtocolError
from status_dashboard.sdk._models import Dashboard, Group, Item, StatusCode, build_item

_CODES = {1: StatusCode.OPERATIONAL, 2: StatusCode.DISRUPTED, 3: StatusCode.UNKNOWN}
_ITEM_FIELDS = frozenset({"id", "order", "status_code", "last_updated", "name", "description"})
_GROUP_FIELDS = frozenset({"id", "name", "items", "status_code"})
_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def parse_dashboard(
    body: bytes | str,
    *,
    environment: str = "prod",
    etag: str | None = None,
    last_modified: str | None = None,
    max_age: int | None = None,
    fetched_at: datetime | None = None,
) -> Dashboard:
    """The dashboard a v1 body describes, or ProtocolError."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the body is not UTF-8 text ({exc.reason})") from None
    except ValueError as exc:
        raise ProtocolError(f"the body is not JSON ({exc})") from None
    groups, index, extra = read_document(document)
    return Dashboard(
        groups=groups,
        environment=environment,
        etag=etag,
        last_modified=last_modified,
        fetched_at=fetched_at or datetime.now(UTC),
        max_age=max_age,
        raw=body.encode("utf-8") if isinstance(body, str) else bytes(body),
        extra=extra,
        _index=index,
    )


def read_document(
    document: Any,
) -> tuple[tuple[Group, ...], dict[str, Item], Mapping[str, Any]]:
    """Groups, the items by id, and unknown top-level fields of a decoded v1 document."""
    if type(document) is not dict:
        raise ProtocolError(
            f"the document must be an object with a groups list, not {_kind(document)}"
        )
    raw_groups = document.get("groups")
    if type(raw_groups) is not list:
        raise _field_error(document, "groups", "a list", "")
    extra = _extra(document, frozenset({"groups"}), 1)
    index: dict[str, Item] = {}
    stamps: dict[str, datetime] = {}
    groups = tuple(_group(raw, g, index, stamps) for g, raw in enumerate(raw_groups))
    return groups, index, extra


def _group(raw: Any, g: int, index: dict[str, Item], stamps: dict[str, datetime]) -> Group:
    if type(raw) is not dict:
        raise ProtocolError(f"must be an object, not {_kind(raw)}", f"groups[{g}]")
    group_id = raw.get("id")
    if type(group_id) is not str or not group_id:
        raise _field_error(raw, "id", "a non-empty string", f"groups[{g}].")
    name = raw.get("name")
    if type(name) is not str:
        raise _field_error(raw, "name", "a string", f"groups[{g}].")
    raw_items = raw.get("items")
    if type(raw_items) is not list:
        raise _field_error(raw, "items", "a list", f"groups[{g}].")
    extra = _extra(raw, _GROUP_FIELDS, 4)
    code, extra = _status(raw, extra, f"groups[{g}].")
    items = _items(raw_items, g, group_id, index, stamps)
    return Group(group_id, name, items, code, extra)


def _items(
    raw_items: list[Any],
    g: int,
    group_id: str,
    index: dict[str, Item],
    stamps: dict[str, datetime],
) -> tuple[Item, ...]:
    """The group's items. The usual item (the five fields, perhaps a description, a known
    code) is read in one pass of checks; anything else goes the slow way, which either reads
    it (extra fields, a new code) or says exactly what is wrong."""
    items: list[Item] = []
    for i, raw in enumerate(raw_items):
        if type(raw) is not dict:
            raise ProtocolError(f"must be an object, not {_kind(raw)}", f"groups[{g}].items[{i}]")
        get = raw.get
        item_id = get("id")
        order = get("order")
        status = get("status_code")
        name = get("name")
        description = get("description")
        stamp = get("last_updated")
        code = _CODES.get(status) if type(status) is int else None
        last_updated = stamps.get(stamp) if type(stamp) is str else None
        if last_updated is None:
            last_updated = _timestamp_or_none(stamp, stamps)
        if (
            code is None
            or last_updated is None
            or type(item_id) is not str
            or not item_id
            or type(order) is not int
            or type(name) is not str
            # A null description, like any field beyond the six, takes the slow way.
            or len(raw) > (5 if description is None else 6)
            or (description is not None and type(description) is not str)
        ):
            item = _unusual_item(raw, f"groups[{g}].items[{i}].", group_id)
        else:
            item = build_item(
                item_id, order, code, last_updated, name, description or None, group_id, _NO_EXTRA
            )
        if index.setdefault(item.id, item) is not item:
            first = index[item.id]
            raise ProtocolError(
                f"{item.id!r} is not unique: the item {first.name!r} of group "
                f"{first.group_id!r} has it too",
                f"groups[{g}].items[{i}].id",
            )
        items.append(item)
    return tuple(items)


def _unusual_item(raw: dict[str, Any], prefix: str, group_id: str) -> Item:
    """An item off the fast path: each field checked in turn, the first fault raised."""
    item_id = raw.get("id")
    if type(item_id) is not str or not item_id:
        raise _field_error(raw, "id", "a non-empty string", prefix)
    order = raw.get("order")
    if type(order) is not int:
        raise _field_error(raw, "order", "an integer", prefix)
    name = raw.get("name")
    if type(name) is not str:
        raise _field_error(raw, "name", "a string", prefix)
    description = raw.get("description")
    if description is not None and type(description) is not str:
        raise _field_error(raw, "description", "a string", prefix)
    last_updated = _timestamp(raw, prefix)
    extra = _extra(raw, _ITEM_FIELDS, 5 + ("description" in raw))
    code, extra = _status(raw, extra, prefix)
    return Item(item_id, order, code, last_updated, name, description or None, group_id, extra)


def _status(
    raw: dict[str, Any], extra: Mapping[str, Any], prefix: str
) -> tuple[StatusCode, Mapping[str, Any]]:
    value = raw.get("status_code")
    code = _CODES.get(value) if type(value) is int else None
    if code is not None:
        return code, extra
    if type(value) is not int:
        raise _field_error(raw, "status_code", "an integer (1, 2 or 3)", prefix)
    return StatusCode.UNKNOWN, MappingProxyType({**extra, "status_code": value})


def _timestamp_or_none(value: Any, stamps: dict[str, datetime]) -> datetime | None:
    """An aware timestamp, remembered for the items that share it; None when `value` is not
    one (the slow path then says why)."""
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    stamps[value] = moment
    return moment


def _timestamp(raw: dict[str, Any], prefix: str) -> datetime:
    value = raw.get("last_updated")
    if type(value) is not str:
        raise _field_error(raw, "last_updated", "an ISO 8601 timestamp string", prefix)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(
            f"{value!r} is not an ISO 8601 timestamp", f"{prefix}last_updated"
        ) from None
    if moment.tzinfo is None:
        raise ProtocolError(
            f"{value!r} has no UTC offset (expected e.g. 2025-05-09T08:55:00+02:00)",
            f"{prefix}last_updated",
        )
    return moment


def _extra(raw: dict[str, Any], known: frozenset[str], expected: int) -> Mapping[str, Any]:
    """Fields beyond the known ones; the common case, none, costs one length comparison."""
    if len(raw) <= expected:
        return _NO_EXTRA
    return MappingProxyType({k: v for k, v in raw.items() if k not in known})


def _field_error(raw: dict[str, Any], name: str, wanted: str, prefix: str) -> ProtocolError:
    if name not in raw:
        return ProtocolError("is missing", f"{prefix}{name}")
    value = raw[name]
    if isinstance(value, str) and wanted.startswith("a non-empty"):
        return ProtocolError(f"must be {wanted}, not an empty string", f"{prefix}{name}")
    return ProtocolError(f"must be {wanted}, not {_kind(value)}", f"{prefix}{name}")


def _kind(value: Any) -> str:
    """The JSON name of a value's type, with the value when it is short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    return "an object"
