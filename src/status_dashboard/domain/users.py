"""Changes to a user account, and the rule that keeps the service administrable.

Any change made here also ends the user's sessions: a session signed in before a new password, a
role change or disabling must not outlive it (the user's `session_epoch` moves on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from status_dashboard.domain.accounts import Role, User
from status_dashboard.domain.errors import ConflictError


class LastAdmin(ConflictError):
    """The change would leave no enabled admin to manage users and the catalog (409)."""

    def __init__(self, field: str, name: str) -> None:
        super().__init__(
            f"{field}: {name} is the last enabled admin; make another user admin first"
        )
        self.field = field


@dataclass(frozen=True, slots=True)
class UserChange:
    """What to change; None leaves that part as it is. The password arrives hashed."""

    role: Role | None = None
    disabled: bool | None = None
    password_hash: str | None = None

    def applied(self, user: User) -> User:
        return replace(
            user,
            role=self.role if self.role is not None else user.role,
            disabled=self.disabled if self.disabled is not None else user.disabled,
            password_hash=self.password_hash or user.password_hash,
            session_epoch=user.session_epoch + 1,
        )


def is_active_admin(user: User) -> bool:
    return user.role is Role.ADMIN and not user.disabled


def check_admins_remain(before: User, after: User, others: Iterable[User]) -> None:
    """Raise LastAdmin when `after` stops being an enabled admin and no other user is one."""
    if not is_active_admin(before) or is_active_admin(after):
        return
    if any(is_active_admin(user) for user in others if user.id != before.id):
        return
    raise LastAdmin("disabled" if after.disabled else "role", before.name)


def user_record(user: User) -> Mapping[str, Any]:
    """A user as the audit log shows it: never the password hash, only whether it changed."""
    return {"name": user.name, "role": user.role.value, "disabled": user.disabled}
