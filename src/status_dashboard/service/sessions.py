"""Signing in and out, and whether a session still stands.

A session names its user and the user's `session_epoch` at sign-in. Every request looks the user
up again: a user deleted, disabled, given another role or whose epoch moved on (sign-out, a new
password) has no session any more, on every replica at once, since the epoch is one database row.

Failed sign-ins slow the next attempt down per client address and per name tried
(`domain.throttle`), counted in the database so that every replica sees the same counts; the
counts are checked before any password is. Password hashes are CPU-bound on purpose, so at most
`hash_slots` run at once in a process: an attempt past them is answered "busy" at once instead of
queueing work that would slow every other answer of the machine.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from status_dashboard.domain.accounts import Principal, Role, User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.ports import LoginFailures, UserDirectory
from status_dashboard.domain.throttle import login_keys
from status_dashboard.service.accounts import Accounts
from status_dashboard.service.passwords import MAX_PASSWORD_LENGTH

MAX_NAME = 64
ANONYMOUS = "anonymous"
BUSY_RETRY_S = 1


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User


@dataclass(frozen=True, slots=True)
class Refused:
    """A wrong name or password: the form says so, whichever it was."""


@dataclass(frozen=True, slots=True)
class MustWait:
    """Too many failures (`busy` False), or every password check slot taken (`busy` True)."""

    seconds: int
    busy: bool = False


SignInOutcome = SignedIn | Refused | MustWait


class Sessions:
    def __init__(
        self,
        accounts: Accounts,
        directory: UserDirectory,
        failures: LoginFailures,
        clock: Callable[[], datetime],
        *,
        hash_slots: int,
    ) -> None:
        self._accounts = accounts
        self._directory = directory
        self._failures = failures
        self._clock = clock
        self.hash_slots = threading.BoundedSemaphore(hash_slots)

    def sign_in(self, name: str, password: str, client_address: str) -> SignInOutcome:
        name = name.strip()
        keys = login_keys(client_address, name)
        wait = self._failures.wait_s(keys, self._clock())
        if wait > 0:
            return MustWait(math.ceil(wait))
        user = None
        if 0 < len(name) <= MAX_NAME and 0 < len(password) <= MAX_PASSWORD_LENGTH:
            if not self.hash_slots.acquire(blocking=False):
                return MustWait(BUSY_RETRY_S, busy=True)
            try:
                user = self._accounts.verify_user(name, password)
            finally:
                self.hash_slots.release()
        now = self._clock()
        if user is None:
            # Only attempts that got this far are audited: a flood of them is slowed by the
            # throttle and the hash slots, so it cannot grow the log faster than they allow.
            failed = AuditEntry(
                at=now,
                actor=ANONYMOUS,
                action="session.sign_in_failed",
                target=f"user:{name[:MAX_NAME]}",
                after={"client_address": client_address[:100]},
            )
            self._failures.failed(keys, now, failed)
            return Refused()
        label = f"user:{user.name}"
        signed = AuditEntry(
            at=now,
            actor=label,
            action="session.sign_in",
            target=label,
            after={"client_address": client_address[:100]},
        )
        # The name's count starts again; the address keeps its failures, or one account of its
        # own would let an attacker wipe the count of the address they guess from.
        self._failures.succeeded(keys[1:], signed)
        return SignedIn(user)

    def confirm(self, user_id: int, role: Role, epoch: int) -> Principal | None:
        """The session's principal if its user still exists, is enabled, has that role and has
        not ended its sessions since; None otherwise."""
        user = self._directory.user_by_id(user_id)
        if user is None or user.disabled or user.role is not role or user.session_epoch != epoch:
            return None
        return Principal("user", user.id, user.name, user.role)

    def sign_out(self, who: Principal) -> None:
        """End every session of `who`, here and on every replica."""
        audit = AuditEntry(
            at=self._clock(), actor=who.label, action="session.sign_out", target=who.label
        )
        self._directory.end_sessions(who.id, audit)
