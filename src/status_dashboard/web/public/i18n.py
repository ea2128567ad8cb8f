"""UI strings in English, Dutch and French, and which language a request gets.

The strings live in `locales/{en,nl,fr}.json`, flat `key: text` maps read once per process. A
key missing from a language falls back to English, and a key missing from English shows as
itself, so that a forgotten translation is visible but never breaks a page.

A request's language, first match wins:

    ?lang=nl            an explicit choice; remembered in the `sd_lang` cookie
    sd_lang=fr          the choice remembered from an earlier visit
    Accept-Language     the browser's preference, by q-value
    (none of these)     English
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "nl", "fr")
DEFAULT_LANGUAGE = "en"
COOKIE = "sd_lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
NATIVE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français"}
"""Each language named in itself, as a language switch shows it to someone who cannot read the
page's current one."""

LOCALES = Path(__file__).resolve().parent / "locales"


class Messages:
    """The UI strings of one language: `messages("status.2")`, `messages("minutes_ago", n=5)`."""

    def __init__(
        self, language: str, strings: Mapping[str, str], fallback: Mapping[str, str]
    ) -> None:
        self.language = language
        self._strings = strings
        self._fallback = fallback

    def __call__(self, key: str, /, **params: object) -> str:
        text = self._strings.get(key) or self._fallback.get(key) or key
        return text.format_map(params) if params else text

    def get(self, key: str) -> str | None:
        """The string without fallback, None where this language lacks it."""
        return self._strings.get(key)

    @property
    def locale(self) -> str:
        """The BCP 47 tag for formatting numbers and dates (e.g. Intl in the browser)."""
        return self("locale")


@cache
def catalogs(directory: Path = LOCALES) -> Mapping[str, Messages]:
    """Every language's messages, read from `directory` once."""
    strings = {language: _read(directory / f"{language}.json") for language in LANGUAGES}
    english = strings[DEFAULT_LANGUAGE]
    return {language: Messages(language, strings[language], english) for language in LANGUAGES}


def _read(path: Path) -> dict[str, str]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
    ):
        raise ValueError(f"{path.name}: a message catalog maps keys to strings")
    return loaded


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    language: str
    remember: bool
    """True when the request chose explicitly (`?lang=`): the answer sets the cookie."""


def choose_language(
    query: str | None, cookie: str | None, accept_language: str | None
) -> LanguageChoice:
    """The table of the module docstring."""
    if query is not None:
        wanted = query.strip().lower()
        if wanted in LANGUAGES:
            return LanguageChoice(wanted, remember=True)
    if cookie is not None and cookie in LANGUAGES:
        return LanguageChoice(cookie, remember=False)
    return LanguageChoice(preferred_language(accept_language or ""), remember=False)


def preferred_language(accept_language: str) -> str:
    """The best of LANGUAGES for an `Accept-Language` header (RFC 9110 §12.5.4), by q-value and
    then by the order given; a region (`nl-BE`) counts for its language; `*` is English."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language == "*":
            language = DEFAULT_LANGUAGE
        if quality > 0 and language in LANGUAGES:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
