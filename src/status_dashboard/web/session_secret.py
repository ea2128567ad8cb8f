"""Which session secrets are refused at start: placeholders and guessable strings.

Whoever knows the secret can sign a cookie for any user, so a secret copied from an example or
typed by hand is as good as none. A secret passes when it is at least 32 characters long, holds
none of the words examples use, has at least 12 distinct characters, does not repeat a pattern
(most of its pairs of neighbouring characters differ) and has an estimated entropy (Shannon's,
of its own characters, times its length) of at least 170 bits. Random secrets pass
with a wide margin: `secrets.token_urlsafe(32)` (43 characters) has about 200 bits by this
estimate, `openssl rand -hex 32` about 250.
"""

from __future__ import annotations

import math
from collections import Counter

MIN_LENGTH = 32
MIN_DISTINCT = 12
MIN_ENTROPY_BITS = 170.0
MIN_DISTINCT_PAIRS = 0.5
"""Of the secret's pairs of neighbouring characters, the share that must differ: a repeated
pattern (`abcd` x 10) has few, which the character counts of the entropy estimate cannot see."""
PLACEHOLDER_WORDS = (
    "change-me", "changeme", "change_me", "changethis", "example", "placeholder", "replace",
    "secret", "password", "random", "replica", "insecure", "default",
)  # fmt: skip
"""Words of six letters or more: a random secret holds one by chance about once in ten
million, while every placeholder seen in examples holds one."""


class WeakSessionSecret(ValueError):
    """The configured session secret is a placeholder or guessable."""


def entropy_bits(secret: str) -> float:
    """Shannon's estimate: the entropy of the secret's own character frequencies, per
    character, times its length. It overrates secrets of repeated words, hence the word list."""
    counts = Counter(secret)
    size = len(secret)
    per_char = -sum(n / size * math.log2(n / size) for n in counts.values())
    return per_char * size


def check_session_secret(secret: str) -> None:
    """Raise WeakSessionSecret, with the reason in one line, unless `secret` is good enough."""
    if len(secret) < MIN_LENGTH:
        raise WeakSessionSecret(f"the session secret must be at least {MIN_LENGTH} characters")
    lowered = secret.casefold()
    found = next((word for word in PLACEHOLDER_WORDS if word in lowered), None)
    if found is not None:
        raise WeakSessionSecret(
            f"the session secret contains {found!r}: it looks like a placeholder; "
            "make one with `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    if len(set(secret)) < MIN_DISTINCT:
        raise WeakSessionSecret(
            f"the session secret has fewer than {MIN_DISTINCT} distinct characters"
        )
    pairs = [secret[i : i + 2] for i in range(len(secret) - 1)]
    if len(set(pairs)) < MIN_DISTINCT_PAIRS * len(pairs):
        raise WeakSessionSecret("the session secret repeats a pattern")
    if entropy_bits(secret) < MIN_ENTROPY_BITS:
        raise WeakSessionSecret(
            f"the session secret is too predictable (estimated entropy under "
            f"{MIN_ENTROPY_BITS:.0f} bits)"
        )
