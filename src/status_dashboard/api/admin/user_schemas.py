"""The users resource on the wire: what a request may say, and how a user is answered (never
the password hash)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from status_dashboard.domain.accounts import Role, User


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Password = Annotated[str, StringConstraints(min_length=12, max_length=1024)]


class UserCreate(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    role: Role
    password: Password


class UserUpdate(_Strict):
    """Either or both; a change ends every session of the user."""

    role: Role | None = None
    disabled: bool | None = None


class PasswordSet(_Strict):
    password: Password


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
    }
