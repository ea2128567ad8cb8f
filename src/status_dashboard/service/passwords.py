"""How passwords are hashed, in one place for signing in, creating users and resetting them."""

from __future__ import annotations

from argon2 import PasswordHasher

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
"""Longer passwords are refused unhashed: argon2 over megabytes is a cheap way to load a server."""


def password_hasher() -> PasswordHasher:
    # argon2id at OWASP's recommended 19 MiB, 2 passes: still slow for an attacker, while the
    # library's default 64 MiB would triple a server's resident memory for each sign-in.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
