"""The User-Agent every request carries (cookbook §5.1.1, read as docs/design.md §3 reads it).

Two or more space-separated `name/version` tokens: the partner's product first, then the
connector it is built on, e.g. `myProduct/62.310.4 Technical/3.19.0`. A name is
`[A-Za-z0-9-/]+` (it may hold slashes: `MyCompany/myProduct/62.310.4`), a version
`[0-9A-Za-z-_.]+`. An identity that breaks the pattern is refused here, before any request,
since a strict environment would refuse it with a 400 anyway.
"""

from __future__ import annotations

import re

from status_dashboard import __version__
from status_dashboard.sdk._errors import InvalidUserAgent

_NAME = re.compile(r"[A-Za-z0-9\-/]+")
_VERSION = re.compile(r"[0-9A-Za-z\-_.]+")
_EXAMPLE = "'myProduct/62.310.4 Technical/3.19.0'"

SDK_CONNECTOR = ("status-dashboard-sdk", __version__)
"""The connector named when a partner names none: this SDK."""

Token = tuple[str, str]


class UserAgent:
    """A validated client identity; `str(agent)` is the header value.

    >>> str(UserAgent("myProduct", "62.310.4", connector=("Technical", "3.19.0")))
    'myProduct/62.310.4 Technical/3.19.0'
    """

    __slots__ = ("_tokens",)

    def __init__(self, product: str, version: str, connector: Token = SDK_CONNECTOR) -> None:
        if not (isinstance(connector, tuple) and len(connector) == 2):
            raise InvalidUserAgent(
                f"User-Agent connector must be a (name, version) pair, not {connector!r}",
                "connector",
            )
        self._tokens: tuple[Token, ...] = (
            _checked(product, version, "product"),
            _checked(connector[0], connector[1], "connector"),
        )

    @classmethod
    def parse(cls, header: str) -> UserAgent:
        """A header value such as `myProduct/62.310.4 Technical/3.19.0`, validated."""
        return cls._of(_tokens_of(header, minimum=2))

    @classmethod
    def _of(cls, tokens: tuple[Token, ...]) -> UserAgent:
        agent = cls.__new__(cls)
        agent._tokens = tokens
        return agent

    @property
    def tokens(self) -> tuple[Token, ...]:
        """Every (name, version) pair, in order."""
        return self._tokens

    @property
    def product(self) -> str:
        return self._tokens[0][0]

    @property
    def version(self) -> str:
        return self._tokens[0][1]

    @property
    def connector(self) -> Token:
        return self._tokens[-1]

    def prefixed(self, identity: str | UserAgent) -> UserAgent:
        """`identity`'s tokens, then these: how a tool puts its user's identity before its own.

        `identity` may be a single token (`myMonitoring/2.1`), since these follow it.
        """
        tokens = identity.tokens if isinstance(identity, UserAgent) else _tokens_of(identity, 1)
        return UserAgent._of((*tokens, *self._tokens))

    def __str__(self) -> str:
        return " ".join(f"{name}/{version}" for name, version in self._tokens)

    def __repr__(self) -> str:
        return f"UserAgent.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UserAgent) and other._tokens == self._tokens

    def __hash__(self) -> int:
        return hash(self._tokens)


def _checked(name: object, version: object, part: str) -> Token:
    if not isinstance(name, str):
        raise InvalidUserAgent(
            f"User-Agent {part} name must be a string, not {type(name).__name__}", part
        )
    if not isinstance(version, str):
        raise InvalidUserAgent(
            f"User-Agent {part} version must be a string, not {type(version).__name__}", part
        )
    if not _NAME.fullmatch(name):
        raise InvalidUserAgent(
            f"User-Agent {part} name {name!r} is not valid: use letters, digits, '-' and '/' "
            f"only, as in {_EXAMPLE}",
            part,
        )
    if not _VERSION.fullmatch(version):
        raise InvalidUserAgent(
            f"User-Agent {part} version {version!r} is not valid: use letters, digits, '-', "
            f"'_' and '.' only, as in {_EXAMPLE}",
            part,
        )
    return name, version


def _tokens_of(text: str, minimum: int) -> tuple[Token, ...]:
    if not isinstance(text, str):
        raise InvalidUserAgent(f"User-Agent must be a string, not {type(text).__name__}", "header")
    pieces = text.split(" ")
    if len(pieces) < minimum or not text:
        raise InvalidUserAgent(
            f"User-Agent {text!r} needs at least two space-separated name/version tokens "
            f"(product, then connector), as in {_EXAMPLE}",
            "header",
        )
    tokens = []
    for number, piece in enumerate(pieces, start=1):
        part = f"token {number}"
        name, slash, version = piece.rpartition("/")
        if not piece:
            raise InvalidUserAgent(
                f"User-Agent {text!r} has an empty {part}: separate tokens with one space", part
            )
        if not slash or not name:
            raise InvalidUserAgent(
                f"User-Agent {part} {piece!r} is not name/version, as in {_EXAMPLE}", part
            )
        tokens.append(_checked(name, version, part))
    return tuple(tokens)
