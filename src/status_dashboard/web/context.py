"""What every UI handler works with, built once by `admin.admin_ui`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from status_dashboard.service.operator import Operations
from status_dashboard.service.sessions import Sessions
from status_dashboard.service.users import UserAdmin
from status_dashboard.web.render import Pages


@dataclass(frozen=True, slots=True)
class Ui:
    sessions: Sessions
    users: UserAdmin
    operations: Operations
    environment_keys: Callable[[], Sequence[str]]
    pages: Pages
