"""How long failed sign-ins make the next attempt wait: a capped exponential backoff.

A few failures are free (a typo, a caps lock); after them every failure doubles the wait, from
one second up to a quarter of an hour. Nobody is locked out: the right password is accepted as
soon as the wait is over, while guessing slows to one try per cap.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

FREE_FAILURES = 3
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 15 * 60.0
FORGET_AFTER = timedelta(hours=1)
"""A key without a failure for this long is forgotten (its row pruned): it starts afresh."""
MAX_KEYS = 100_000
"""Past this many counted keys the least recently failed are forgotten first, so that a flood
of made-up names or addresses cannot grow the table without bound."""


def delay_after(failures: int) -> float:
    """Seconds the key waits after its `failures`-th failure in a row."""
    if failures <= FREE_FAILURES:
        return 0.0
    exponent = min(failures - FREE_FAILURES - 1, 20)  # 2**20 s is far past the cap already
    return min(FIRST_DELAY_S * 2.0**exponent, MAX_DELAY_S)


def login_keys(client_address: str, user_name: str) -> tuple[str, str]:
    """The two counters one attempt touches, per client address and per name tried (case-folded
    as people type them), each as a SHA-256: no typed name is kept in clear."""
    address = f"addr:{client_address[:100]}"
    name = f"user:{user_name.strip().casefold()[:64]}"
    return _digest(address), _digest(name)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
