"""Managing users: list them, change a role, disable or enable one, set a new password.

Only an admin token or user without an environment scope may do it: a user's role is valid in
every environment. Every change is one transaction with its audit entry, ends the user's
sessions (domain.users), and is refused when it would leave no enabled admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from status_dashboard.domain.accounts import Principal, Role, User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.domain.ports import UserDirectory
from status_dashboard.domain.users import UserChange
from status_dashboard.service.accounts import Accounts, require, require_unscoped

MAX_REFERENCE = 64


def require_user_admin(who: Principal) -> None:
    require(who, Role.ADMIN)
    require_unscoped(who, "users span every environment")


class UserAdmin:
    def __init__(
        self, accounts: Accounts, directory: UserDirectory, clock: Callable[[], datetime]
    ) -> None:
        self._accounts = accounts
        self._directory = directory
        self._clock = clock

    def users(self, who: Principal) -> list[User]:
        require_user_admin(who)
        return list(self._directory.users())

    def user(self, who: Principal, reference: str) -> User:
        """The user named `reference`, or with that id when it is all digits and no name is."""
        require_user_admin(who)
        return self._find(reference)

    def create(self, who: Principal, name: str, role: Role, password: str) -> User:
        require_user_admin(who)
        return self._accounts.create_user(name, role, password, who.label)

    def change(
        self,
        who: Principal,
        reference: str,
        *,
        role: Role | None = None,
        disabled: bool | None = None,
    ) -> User:
        """Set the role and/or whether the user is disabled; nothing written when neither
        changes anything."""
        require_user_admin(who)
        user = self._find(reference)
        role = None if role is user.role else role
        disabled = None if disabled is user.disabled else disabled
        if role is None and disabled is None:
            return user
        if role is not None and disabled is not None:
            action = "user.update"
        elif role is not None:
            action = "user.set_role"
        else:
            action = "user.disable" if disabled else "user.enable"
        return self._write(who, user, action, UserChange(role=role, disabled=disabled))

    def set_role(self, who: Principal, reference: str, role: Role) -> User:
        return self.change(who, reference, role=role)

    def set_disabled(self, who: Principal, reference: str, disabled: bool) -> User:
        return self.change(who, reference, disabled=disabled)

    def reset_password(self, who: Principal, reference: str, password: str) -> User:
        require_user_admin(who)
        user = self._find(reference)
        change = UserChange(password_hash=self._accounts.hash_new_password(password))
        return self._write(who, user, "user.reset_password", change)

    def _write(self, who: Principal, user: User, action: str, change: UserChange) -> User:
        audit = AuditEntry(
            at=self._clock(), actor=who.label, action=action, target=f"user:{user.name}"
        )
        return self._directory.change_user(user.id, change, audit)

    def _find(self, reference: str) -> User:
        reference = reference.strip()
        user = self._directory.user_by_name(reference) if reference else None
        if user is None and reference.isascii() and reference.isdigit() and len(reference) < 19:
            user = self._directory.user_by_id(int(reference))
        if user is None:
            raise NotFoundError(f"no user '{reference[:MAX_REFERENCE]}'")
        return user
