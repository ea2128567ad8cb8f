"""Body patterns of HTTP checks, on RE2: a linear-time engine with no backtracking.

A pattern is the admin's, the body it runs on the monitored service's: with a backtracking
engine (Python's `re`), `^(a+)+$` against thirty `a`s and a `!` runs for minutes. RE2 takes
time in proportion to the body, whatever the pattern, and refuses what it cannot do in that
time (backreferences, lookaround), which is refused when the check is defined.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import re2

from status_dashboard.domain.checks import InvalidCheck


class Pattern(Protocol):
    pattern: str

    def search(self, text: str) -> object | None: ...


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the admin's problem, not a log line
    return options


_OPTIONS = _options()


def compile_pattern(text: str) -> Pattern:
    """`text` compiled, or InvalidCheck naming `body_matches` with RE2's reason."""
    try:
        return cast(Pattern, re2.compile(text, options=_OPTIONS))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        raise InvalidCheck(
            "body_matches", f"not a regular expression RE2 accepts: {reason}"
        ) from None
