"""Reading form fields into the values the services take; a bad field is an InvalidInput that
names it, shown next to that field."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import FormData

from status_dashboard.domain.operations import Impact, IncidentState
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.accounts import InvalidInput
from status_dashboard.web.render import ZONE


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if "\x00" in value:
        # PostgreSQL cannot store or compare text holding a NUL (it errs, a 500).
        raise InvalidInput(name, "must not contain a NUL character")
    return value


def optional_text(form: FormData, name: str) -> str | None:
    return text(form, name).strip() or None


def status(form: FormData, name: str = "status_code") -> StatusCode:
    try:
        return StatusCode.parse(text(form, name))
    except ValueError:
        raise InvalidInput(name, "choose Operational, Disrupted or Unknown") from None


def impact(form: FormData, name: str = "impact") -> Impact:
    try:
        return Impact(text(form, name))
    except ValueError:
        raise InvalidInput(name, "choose none, minor, major or critical") from None


def incident_state(form: FormData, name: str = "state") -> IncidentState:
    try:
        return IncidentState(text(form, name))
    except ValueError:
        raise InvalidInput(
            name, "choose investigating, identified, monitoring or resolved"
        ) from None


def local_moment(form: FormData, name: str, *, required: bool) -> datetime | None:
    """A `datetime-local` value (no offset) read as Brussels time, returned in UTC.

    A time that the clock change skips or repeats is read with the offset before the change.
    """
    raw = text(form, name).strip()
    if not raw:
        if required:
            raise InvalidInput(name, "is required")
        return None
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(name, "must be a date and time, like 2025-05-09T08:55") from None
    if naive.tzinfo is not None:
        raise InvalidInput(name, "must be a local date and time, without an offset")
    try:
        return naive.replace(tzinfo=ZONE).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00 in Brussels is before the first moment in UTC
        raise InvalidInput(name, "must be a date and time from year 1 to 9999") from None


def item_ids(form: FormData, name: str = "item_ids") -> frozenset[str]:
    return frozenset(v for v in form.getlist(name) if isinstance(v, str) and v)
