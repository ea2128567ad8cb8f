"""What every UI handler works with, built once by `admin.admin_ui`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from status_dashboard.service.accounts import Accounts
from status_dashboard.service.operator import Operations
from status_dashboard.web.ratelimit import LoginThrottle
from status_dashboard.web.render import Pages


@dataclass(frozen=True, slots=True)
class Ui:
    accounts: Accounts
    operations: Operations
    environment_keys: Callable[[], Sequence[str]]
    throttle: LoginThrottle
    pages: Pages
