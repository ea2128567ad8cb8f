"""Who says they are signed in: the claims kept in the signed session cookie (Starlette's
sessions).

The cookie holds the user's id, name, role and session epoch, signed and time-limited; it is not
encrypted, so nothing secret goes in it. The claims are only a question: every request asks the
database whether they still stand (`service.sessions.Sessions.confirm`), so a sign-out, a new
password, a role change or disabling ends the session at once, on every replica.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from status_dashboard.domain.accounts import Role, User

SESSION_COOKIE = "sd_session"
SESSION_MAX_AGE_S = 8 * 60 * 60
"""One working day: after it the operator signs in again."""

_USER = "user"
_CSRF = "csrf"
_FLASH = "flash"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    id: int
    name: str
    role: Role
    epoch: int


def signed_in(request: Request) -> SessionClaims | None:
    """What the cookie claims, unchecked: pages show it, `guard.page` confirms it first."""
    data = request.session.get(_USER)
    if not isinstance(data, dict):
        return None
    try:
        epoch = data["epoch"]
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            return None
        return SessionClaims(int(data["id"]), str(data["name"]), Role(data["role"]), epoch)
    except (KeyError, ValueError, TypeError):
        return None


def sign_in(request: Request, user: User) -> None:
    """Start a new session: the old one (and its CSRF token) is dropped, against fixation."""
    request.session.clear()
    request.session[_USER] = {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "epoch": user.session_epoch,
    }
    request.session[_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def csrf_secret(request: Request) -> str:
    """This session's CSRF token, made on first use (the sign-in form needs one too)."""
    token = request.session.get(_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[_CSRF] = token
    return token


def flash(request: Request, message: str) -> None:
    """A one-line notice for the next page (after a redirect), e.g. "Status set"."""
    request.session[_FLASH] = message[:300]


def take_flash(request: Request) -> str | None:
    message: Any = request.session.pop(_FLASH, None)
    return message if isinstance(message, str) else None
