"""Bytes ready to send: plain, gzip and brotli, each with its own strong ETag, made once.

Pages are compressed when they are rendered (once per revision and minute), static files when
they are loaded, never per request.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass

import brotli

_GZIP_LEVEL = 6
_BROTLI_QUALITY = 5
"""Fast enough to run on a page render, within a few per cent of the best ratio on HTML."""


@dataclass(frozen=True, slots=True)
class Representation:
    body: bytes
    etag: str
    coding: str | None


@dataclass(frozen=True, slots=True)
class Encoded:
    identity: Representation
    gzip: Representation
    brotli: Representation

    def choose(self, accept_encoding: str) -> Representation:
        codings = accepted_codings(accept_encoding)
        if "br" in codings:
            return self.brotli
        if "gzip" in codings:
            return self.gzip
        return self.identity


def encode(body: bytes) -> Encoded:
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:15]).decode("ascii")
    # mtime=0: the same page gives the same bytes, and so the same ETag, on every replica.
    zipped = gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0)
    return Encoded(
        Representation(body, f'"{digest}"', None),
        Representation(zipped, f'"{digest}.gz"', "gzip"),
        Representation(brotli.compress(body, quality=_BROTLI_QUALITY), f'"{digest}.br"', "br"),
    )


def accepted_codings(accept_encoding: str) -> frozenset[str]:
    """The content codings an `Accept-Encoding` header allows (q > 0)."""
    allowed = set()
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if quality > 0 and coding:
            allowed.add(coding.strip().lower())
    return frozenset(allowed)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or any listed tag equal to `etag` by weak comparison."""
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))
