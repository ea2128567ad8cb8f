"""Badge widths from the character table, shortened names, the SVG itself, and its query."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from starlette.requests import Request

from status_dashboard.domain.status import StatusCode
from status_dashboard.service.accounts import InvalidInput
from status_dashboard.web.badges import (
    LABEL_LIMIT,
    PADDING,
    Badge,
    badge_query,
    render,
    shorten,
    status_badge,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def _svg(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - bytes this code just made, not someone else's


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0.0), ("i", 3.0), ("m", 10.7), ("status", 33.7), ("é", 6.6), ("e\u0301", 6.6)],
)
def test_text_is_as_wide_as_its_characters_in_the_table(text: str, width: float) -> None:
    assert text_width(text) == pytest.approx(width)


def test_wide_letters_make_a_wider_badge_than_narrow_ones_of_the_same_count() -> None:
    assert text_width("WWWW") > text_width("MMMM") > text_width("oooo") > text_width("iiii")
    assert text_width("状态") == pytest.approx(22.0)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("eHealth IDP", "eHealth IDP"),
        ("WebService eHealth - IAM Connect - eXchange", "WebService eHealth - IAM…"),
        ("eHealth IDP - Identity provider - Authorization management", "eHealth IDP - Identity…"),
        ("Averyveryveryveryverylongsinglewordname", "Averyveryveryveryverylongsingle…"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_long_item_names_are_cut_at_a_word(name: str, shown: str) -> None:
    assert shorten(name) == shown
    assert len(shown) <= 32


@pytest.mark.parametrize(
    ("code", "word", "colour"),
    [
        (StatusCode.OPERATIONAL, "operational", "#1a7f37"),
        (StatusCode.DISRUPTED, "disrupted", "#c62828"),
        (StatusCode.UNKNOWN, "unknown", "#6e7781"),
    ],
)
def test_each_status_has_its_word_and_its_colour(code: StatusCode, word: str, colour: str) -> None:
    root = _svg(render(status_badge(code, "status", "Production status")))
    texts = [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
    assert texts == ["status", word]
    assert colour in [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert root.findtext(f"{SVG}title") == f"Production status: {word}"
    assert (root.get("role"), root.get("aria-label")) == ("img", f"Production status: {word}")


def test_the_badge_is_as_wide_as_its_two_texts_with_padding() -> None:
    root = _svg(render(Badge("status", "operational", "#1a7f37", "t")))
    label, message = 34 + 2 * PADDING, 63 + 2 * PADDING  # ceil(33.7), ceil(62.3)
    assert root.get("width") == str(label + message)
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("fill", "").startswith("#")]
    widths = [r.get("width") for r in rects[1:]]  # after the clip path's
    assert widths == [str(label), str(message)]


def test_flat_square_has_no_rounding_and_no_gloss() -> None:
    flat = render(Badge("a", "b", "#000", "t"))
    square = render(Badge("a", "b", "#000", "t"), "flat-square")
    assert b'rx="3"' in flat
    assert b"linearGradient" in flat
    assert b'rx="0"' in square
    assert b"linearGradient" not in square


def test_markup_in_a_label_is_text() -> None:
    root = _svg(render(Badge('<script>x</script> & "q"', "ok", "#000", "<b>")))
    assert root.findtext(f"{SVG}title") == "<b>"
    assert not list(root.iter(f"{SVG}script"))


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "query_string": query.encode(), "headers": []})


def test_the_query_gives_a_label_and_a_style() -> None:
    query = badge_query(_request("label=eHealth+PROD&style=flat-square&v=3"))
    assert (query.label, query.style) == ("eHealth PROD", "flat-square")
    assert (badge_query(_request("")).label, badge_query(_request("")).style) == (None, "flat")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("label=", "label"),
        ("label=+++", "label"),
        ("label=" + "x" * (LABEL_LIMIT + 1), "label"),
        ("label=a%0Ab", "label"),
        ("label=a&label=b", "label"),
        ("style=plastic", "style"),
        ("style=FLAT", "style"),
    ],
)
def test_a_bad_value_names_its_parameter(query: str, name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        badge_query(_request(query))
    assert refused.value.field == name
