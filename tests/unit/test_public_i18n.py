"""Languages of the public pages: which one a request gets, and catalogs that agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from status_dashboard.web.public.i18n import (
    LANGUAGES,
    LOCALES,
    LanguageChoice,
    Messages,
    catalogs,
    choose_language,
    preferred_language,
)


@pytest.mark.parametrize(
    ("query", "cookie", "header", "choice"),
    [
        ("nl", "fr", "fr", LanguageChoice("nl", remember=True)),
        ("FR ", None, None, LanguageChoice("fr", remember=True)),
        ("de", "fr", "nl", LanguageChoice("fr", remember=False)),  # not ours: the next rule
        (None, "nl", "fr", LanguageChoice("nl", remember=False)),
        (None, "xx", "fr-BE,fr;q=0.9", LanguageChoice("fr", remember=False)),
        (None, None, None, LanguageChoice("en", remember=False)),
    ],
    ids=["query-wins", "query-spelled-loosely", "unknown-query", "cookie", "bad-cookie", "none"],
)
def test_the_language_is_the_query_then_the_cookie_then_the_header(
    query: str | None, cookie: str | None, header: str | None, choice: LanguageChoice
) -> None:
    assert choose_language(query, cookie, header) == choice


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("nl-BE", "nl"),
        ("de-DE,fr;q=0.8,nl;q=0.5", "fr"),
        ("en;q=0.2, nl;q=0.9", "nl"),
        ("fr;q=0, nl;q=0.1", "nl"),  # q=0 means "not this one"
        ("nl, fr", "nl"),  # equal q: the order given
        ("es, *;q=0.5", "en"),
        ("de, es", "en"),
        ("nl;q=bogus, fr", "fr"),
        ("", "en"),
    ],
)
def test_accept_language_is_read_by_quality_and_order(header: str, language: str) -> None:
    assert preferred_language(header) == language


def test_a_missing_string_falls_back_to_english_then_to_its_key() -> None:
    messages = Messages("nl", {"a": "nl {n}"}, {"a": "en {n}", "b": "en only"})

    assert messages("a", n=3) == "nl 3"
    assert messages("b") == "en only"
    assert messages("c") == "c"
    assert messages.get("b") is None


def test_every_language_has_every_english_string_with_the_same_placeholders() -> None:
    loaded = catalogs()
    english = loaded["en"]
    keys = set(_strings(LOCALES / "en.json"))

    for language in LANGUAGES:
        strings = _strings(LOCALES / f"{language}.json")
        assert set(strings) == keys, language
        for key in keys:
            assert _placeholders(strings[key]) == _placeholders(english(key)), (language, key)


def test_the_status_words_are_those_of_the_contract_in_english() -> None:
    english = catalogs()["en"]

    assert [english(f"status.{code}") for code in (1, 2, 3)] == [
        "Operational",
        "Disrupted",
        "Unknown",
    ]
    assert english("banner.1") == "All services operational"
    assert english("banner.2") == "Some services disrupted"
    assert english("banner.3") == "Status unknown for some services"


def _strings(path: Path) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))
