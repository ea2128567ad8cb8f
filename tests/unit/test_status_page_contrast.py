"""The public pages' colours meet WCAG 2.1 AA in both themes: 4.5:1 for text (1.4.3) and 3:1
for the bars and the focus ring (1.4.11), as the custom properties of status.css pair them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "status_dashboard"
    / "web"
    / "static"
    / "public"
    / "status.css"
)
TEXT = [
    ("fg", "bg"),
    ("fg", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("link", "bg"),
    ("link", "surface"),
    ("ok", "bg"),
    ("ok", "surface"),
    ("bad", "bg"),
    ("bad", "surface"),
    ("unknown", "bg"),
    ("unknown", "surface"),
    ("ok-fg", "ok-bg"),
    ("bad-fg", "bad-bg"),
    ("unknown-fg", "unknown-bg"),
]
GRAPHICS = [
    ("bar-ok", "bg"),
    ("bar-bad", "bg"),
    ("bar-unknown", "bg"),
    ("bar-none", "bg"),
    ("focus", "bg"),
    ("focus", "surface"),
]


def themes() -> dict[str, dict[str, str]]:
    css = CSS.read_text(encoding="utf-8")
    dark_at = css.index("@media (prefers-color-scheme: dark)")
    return {"light": _properties(css[:dark_at]), "dark": _properties(css[dark_at:])}


def _properties(css: str) -> dict[str, str]:
    block = re.search(r":root\s*\{(.*?)\}", css, re.DOTALL)
    assert block, "no :root block"
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block.group(1)))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_gives_wcags_own_figures() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_both_themes_define_the_same_colours() -> None:
    light, dark = themes().values()

    assert set(light) == set(dark)
    assert {name for pair in TEXT + GRAPHICS for name in pair} <= set(light)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("fore", "back"), TEXT)
def test_text_has_at_least_4_5_to_1(theme: str, fore: str, back: str) -> None:
    colours = themes()[theme]

    assert contrast(colours[fore], colours[back]) >= 4.5


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("fore", "back"), GRAPHICS)
def test_bars_and_focus_have_at_least_3_to_1(theme: str, fore: str, back: str) -> None:
    colours = themes()[theme]

    assert contrast(colours[fore], colours[back]) >= 3.0
