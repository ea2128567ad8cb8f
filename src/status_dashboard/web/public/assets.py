"""The public pages' CSS and script, fingerprinted: `/static/status.3f2a9c1b0d.css`.

The file name carries a hash of the content, so a browser may keep a copy for a year without
asking again (`immutable`) and still gets the new file the moment it changes: the page names the
new hash. The files are read, hashed and compressed once, when the routes are built.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from status_dashboard.web.public.encoding import Encoded, encode

STATIC = Path(__file__).resolve().parents[1] / "static" / "public"
PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_HASH_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    """The fingerprinted file name, e.g. `status.3f2a9c1b0d.css`."""
    media_type: str
    encoded: Encoded

    @property
    def url(self) -> str:
        return PREFIX + self.name


def fingerprinted(name: str, body: bytes) -> str:
    """`status.css` with its content hash: `status.<hash>.css`."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(body).hexdigest()[:_HASH_LENGTH]
    return f"{stem}.{digest}{dot}{suffix}"


class Assets:
    """The files of `directory` named in `names`, by their plain name and their fingerprinted one."""

    def __init__(
        self, directory: Path = STATIC, names: tuple[str, ...] = ("status.css", "status.js")
    ) -> None:
        by_plain: dict[str, Asset] = {}
        for name in names:
            body = (directory / name).read_bytes()
            media_type = _TYPES[Path(name).suffix]
            by_plain[name] = Asset(fingerprinted(name, body), media_type, encode(body))
        self._by_plain: Mapping[str, Asset] = by_plain
        self._by_name: Mapping[str, Asset] = {a.name: a for a in by_plain.values()}

    def url(self, plain_name: str) -> str:
        return self._by_plain[plain_name].url

    def get(self, fingerprinted_name: str) -> Asset | None:
        """None for any name but a current fingerprint: an old hash is not this content."""
        return self._by_name.get(fingerprinted_name)
