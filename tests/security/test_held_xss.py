"""Stored and reflected cross-site scripting, held: payloads written through the admin API into
every text an operator (or a caller, for the client register) can set, then read back from
every public page, feed and badge and every admin page that shows them.

Each page is parsed with a real parser (lxml: HTML, XML; icalendar) and must hold no element,
attribute, event handler or `javascript:` address that a payload brought, while showing the
payload's text (its field's marker is there, so the check looks where the text landed). HTML
pages must also forbid inline script in their Content-Security-Policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import icalendar
import pytest
from lxml import etree, html

from security.conftest import ADMIN_API, HeldServer, signed_in

from support.server import CONFORMING_AGENT


@dataclass(frozen=True)
class Payload:
    does: str
    text: str

    def __str__(self) -> str:
        return self.does


PAYLOADS = [
    Payload("a script element", "<script>alert(1)</script>"),
    Payload("an image with an error handler", '"><img src=x onerror=alert(1)>'),
    Payload("a javascript: address", "javascript:alert(1)"),
    Payload("a way out of the title", "</title><svg onload=alert(1)>"),
    Payload("a way out of a double-quoted attribute", '" autofocus onfocus="alert(1)" x="'),
    Payload("a way out of a single-quoted attribute", "' onmouseover='alert(1)' x='"),
    Payload("a way out of JSON in a script", '</script><script>alert(1)</script>{"a":"'),
    Payload(
        "a way out of XML character data",
        ']]><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script><!--',
    ),
    Payload("a template expression", "{{7*7}} ${7*7} {%raw%}"),
    Payload("a line break with a calendar property", "a\r\nURL:javascript:alert(1)\r\nX-HELD:1"),
]

# Where each text lands: a marker per field, so that a page is known to show that field.
ENV_NAME = "zqenvname"
GROUP_NAME = "zqgroupname"
ITEM_NAME = "zqitemname"
ITEM_DESCRIPTION = "zqitemdesc"
NL_NAME, NL_DESCRIPTION = "zqnlname", "zqnldesc"
FR_NAME, FR_DESCRIPTION = "zqfrname", "zqfrdesc"
DE_NAME = "zqdename"
OTHER_ITEM = "zqotheritem"
OVERRIDE = "zqoverride"
INCIDENT_TITLE, INCIDENT_MESSAGE, UPDATE_MESSAGE = "zqinctitle", "zqincmsg", "zqupdmsg"
WINDOW_TITLE, WINDOW_DESCRIPTION = "zqwintitle", "zqwindesc"
TOKEN_NAME = "zqtoken"
CHECK_TEXT = "zqcheck"
USER_AGENT = "zqagent"
FILTER = "zqfilter"
NEXT = "zqnext"
LABEL = "zqlabel"

EVERY_WRITE = (
    ENV_NAME, GROUP_NAME, ITEM_NAME, ITEM_DESCRIPTION, NL_NAME, NL_DESCRIPTION, FR_NAME,
    FR_DESCRIPTION, DE_NAME, OTHER_ITEM, OVERRIDE, INCIDENT_TITLE, INCIDENT_MESSAGE,
    UPDATE_MESSAGE, WINDOW_TITLE, WINDOW_DESCRIPTION, TOKEN_NAME, CHECK_TEXT,
)  # fmt: skip


def typed(marker: str, payload: Payload, limit: int = 200) -> str:
    return f"{marker} {payload.text}"[:limit]


@dataclass
class Written:
    """What one payload's writes made: the environment and the ids of what is in it."""

    environment: str
    item: str
    other_item: str
    incident: int
    window: int


@dataclass(frozen=True)
class Page:
    does: str
    path: Callable[[Written], str]
    kind: str
    """html, xml (Atom, RSS, SVG) or ics."""
    shows: tuple[str, ...]
    by: str | None = "ada"
    """Who reads it: a user name (admin pages), or None (public, and the sign-in form)."""
    reflected: dict[str, str] = field(default_factory=dict)
    """Query parameters the page echoes, marker: parameter."""

    def __str__(self) -> str:
        return self.does


_PUBLIC_OVERVIEW = (
    ENV_NAME, GROUP_NAME, ITEM_NAME, ITEM_DESCRIPTION, OTHER_ITEM, OVERRIDE, INCIDENT_TITLE,
    UPDATE_MESSAGE, WINDOW_TITLE, WINDOW_DESCRIPTION,
)  # fmt: skip

PAGES = [
    Page("the public overview", lambda w: f"/{w.environment}", "html", _PUBLIC_OVERVIEW, None),
    Page(
        "the public overview in Dutch",
        lambda w: f"/{w.environment}?lang=nl",
        "html",
        (NL_NAME, NL_DESCRIPTION, GROUP_NAME, INCIDENT_TITLE, WINDOW_TITLE),
        None,
    ),
    Page(
        "the public overview in French",
        lambda w: f"/{w.environment}?lang=fr",
        "html",
        (FR_NAME, FR_DESCRIPTION, GROUP_NAME, INCIDENT_TITLE, WINDOW_TITLE),
        None,
    ),
    Page(
        "the public incident history",
        lambda w: f"/{w.environment}/history",
        "html",
        (ENV_NAME, INCIDENT_TITLE, INCIDENT_MESSAGE, UPDATE_MESSAGE),
        None,
    ),
    Page(
        "the public item page",
        lambda w: f"/items/{w.item}",
        "html",
        (ENV_NAME, GROUP_NAME, ITEM_NAME, ITEM_DESCRIPTION),
        None,
    ),
    Page(
        "the public item page in Dutch",
        lambda w: f"/items/{w.item}?lang=nl",
        "html",
        (NL_NAME, NL_DESCRIPTION),
        None,
    ),
    Page(
        "the public page of an overridden item",
        lambda w: f"/items/{w.other_item}",
        "html",
        (OTHER_ITEM, OVERRIDE, INCIDENT_TITLE),
        None,
    ),
    Page(
        "the Atom feed",
        lambda w: f"/feeds/{w.environment}.atom",
        "xml",
        (INCIDENT_TITLE, INCIDENT_MESSAGE, UPDATE_MESSAGE, WINDOW_TITLE, WINDOW_DESCRIPTION),
        None,
    ),
    Page(
        "the RSS feed",
        lambda w: f"/feeds/{w.environment}.rss",
        "xml",
        (INCIDENT_TITLE, INCIDENT_MESSAGE, UPDATE_MESSAGE, WINDOW_TITLE, WINDOW_DESCRIPTION),
        None,
    ),
    Page(
        "the iCalendar feed",
        lambda w: f"/feeds/{w.environment}.ics",
        "ics",
        (WINDOW_TITLE, WINDOW_DESCRIPTION),
        None,
    ),
    Page("the item's badge", lambda w: f"/badges/items/{w.item}.svg", "xml", (ITEM_NAME,), None),
    Page(
        "a badge with a label of the caller's",
        lambda w: f"/badges/{w.environment}.svg",
        "xml",
        (),
        None,
        {LABEL: "label"},
    ),
    Page(
        "the admin board",
        lambda w: f"/admin/env/{w.environment}",
        "html",
        (GROUP_NAME, ITEM_NAME, OTHER_ITEM, OVERRIDE),
    ),
    Page(
        "the admin item page",
        lambda w: f"/admin/env/{w.environment}/items/{w.item}",
        "html",
        (ITEM_NAME, ITEM_DESCRIPTION),
    ),
    Page(
        "the admin page of an overridden item",
        lambda w: f"/admin/env/{w.environment}/items/{w.other_item}",
        "html",
        (OTHER_ITEM, OVERRIDE),
    ),
    Page(
        "the admin incident list",
        lambda w: f"/admin/env/{w.environment}/incidents",
        "html",
        (INCIDENT_TITLE,),
    ),
    Page(
        "the admin incident page",
        lambda w: f"/admin/env/{w.environment}/incidents/{w.incident}",
        "html",
        (INCIDENT_TITLE, INCIDENT_MESSAGE, UPDATE_MESSAGE, OTHER_ITEM),
    ),
    Page(
        "the admin incident form",
        lambda w: f"/admin/env/{w.environment}/incidents/new",
        "html",
        (GROUP_NAME, ITEM_NAME),
    ),
    Page(
        "the admin maintenance list",
        lambda w: f"/admin/env/{w.environment}/maintenance",
        "html",
        (WINDOW_TITLE, WINDOW_DESCRIPTION),
    ),
    Page(
        "the admin maintenance form",
        lambda w: f"/admin/env/{w.environment}/maintenance/{w.window}/edit",
        "html",
        (WINDOW_TITLE, WINDOW_DESCRIPTION, ITEM_NAME),
    ),
    Page(
        "the admin audit log",
        lambda w: "/admin/audit?limit=500",
        "html",
        (TOKEN_NAME, ENV_NAME, GROUP_NAME, ITEM_NAME, OVERRIDE, WINDOW_TITLE, CHECK_TEXT),
    ),
    Page(
        "the admin audit log's filters",
        lambda w: "/admin/audit",
        "html",
        (),
        reflected={FILTER: "actor"},
    ),
    Page(
        "the admin client register",
        lambda w: f"/admin/env/{w.environment}/clients",
        "html",
        (USER_AGENT,),
    ),
    Page(
        "the sign-in form's next address",
        lambda w: "/admin/login",
        "html",
        (),
        None,
        {NEXT: "next"},
    ),
]


# -- writing -------------------------------------------------------------------------------


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    document: dict[str, Any] = answer.json()
    return document


def write_everywhere(server: HeldServer, payload: Payload, number: int) -> Written:
    """`payload`, after its field's marker, in every text the admin API takes, in a new
    environment of its own."""
    env = f"held-xss-{server.kind}-{number}"
    base = f"{ADMIN_API}/dashboards/{env}"
    soon = datetime.now(UTC) + timedelta(days=1)
    with server.api() as api:
        _ok(
            api.post(
                f"{ADMIN_API}/environments", json={"key": env, "name": typed(ENV_NAME, payload)}
            )
        )
        _ok(api.post(f"{base}/groups", json={"key": "g", "name": typed(GROUP_NAME, payload)}))
        item = _ok(
            api.post(
                f"{base}/items",
                json={
                    "key": "shown",
                    "group": "g",
                    "name": typed(ITEM_NAME, payload),
                    "description": typed(ITEM_DESCRIPTION, payload),
                    "translations": {
                        "nl": {"name": typed(NL_NAME, payload), "description": typed(NL_DESCRIPTION, payload)},
                        "fr": {"name": typed(FR_NAME, payload), "description": typed(FR_DESCRIPTION, payload)},
                        "de": {"name": typed(DE_NAME, payload)},
                    },
                },
            )
        )["id"]  # fmt: skip
        other = _ok(
            api.post(
                f"{base}/items",
                json={"key": "overridden", "group": "g", "name": typed(OTHER_ITEM, payload)},
            )
        )["id"]
        _ok(
            api.patch(
                f"{base}/items/{other}",
                json={"status_code": 2, "description": typed(OVERRIDE, payload)},
            )
        )
        incident = _ok(
            api.post(
                f"{base}/incidents",
                json={
                    "title": typed(INCIDENT_TITLE, payload),
                    "item_ids": [other],
                    "message": typed(INCIDENT_MESSAGE, payload),
                },
            )
        )["id"]
        _ok(
            api.post(
                f"{base}/incidents/{incident}/updates",
                json={"state": "identified", "message": typed(UPDATE_MESSAGE, payload)},
            )
        )
        window = _ok(
            api.post(
                f"{base}/maintenance",
                json={
                    "title": typed(WINDOW_TITLE, payload),
                    "description": typed(WINDOW_DESCRIPTION, payload),
                    "starts_at": soon.isoformat(),
                    "ends_at": (soon + timedelta(hours=2)).isoformat(),
                    "item_ids": [other],
                    "impact": "minor",
                },
            )
        )["id"]
        _ok(
            api.post(
                f"{ADMIN_API}/tokens",
                json={"name": typed(TOKEN_NAME, payload, 64), "role": "viewer"},
            )
        )
        _ok(
            api.put(
                f"{base}/items/{other}/checks",
                json={"checks": [{"key": "page", "type": "http", "url": "https://status.example.org/", "body_contains": typed(CHECK_TEXT, payload)}]},
            )
        )  # fmt: skip
    agent = typed(USER_AGENT, payload).replace("\r", " ").replace("\n", " ")
    httpx.get(f"{server.url}/api/v1/dashboard/{env}", headers={"User-Agent": agent}, timeout=10)
    return Written(env, item, other, incident, window)


@pytest.fixture
def written(held: HeldServer, payload: Payload) -> Written:
    """The payload's writes, made once per server (each payload has its own environment)."""
    done: dict[str, Written] = held.__dict__.setdefault("xss_written", {})
    if payload.does not in done:
        done[payload.does] = write_everywhere(held, payload, PAYLOADS.index(payload))
    return done[payload.does]


# -- reading -------------------------------------------------------------------------------

_HANDLER = re.compile(r"^on", re.IGNORECASE)
_ADDRESSES = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc")


def _injected(elements: list[Any]) -> list[str]:
    """What a payload could have brought into a document: script with its code, handlers,
    `javascript:` addresses, the payloads' own elements."""
    found = []
    for element in elements:
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        tag = _local(element.tag).lower()
        if tag == "script" and "alert(" in (element.text or ""):
            found.append(f"a script element runs {element.text!r}")
        if tag in ("img", "svg", "x") and element.get("src") == "x":
            found.append(f"an injected <{tag} src=x>")
        for name, value in element.attrib.items():
            local = _local(name)
            if _HANDLER.match(local):
                found.append(f"<{tag}> has an event handler {local}={value!r}")
            cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
            if local in _ADDRESSES and cleaned.startswith("javascript:"):
                found.append(f"<{tag} {local}={value!r}> runs script")
    return found


def _local(name: str) -> str:
    """A tag's or attribute's name without its namespace (`{uri}name`) or prefix (`x:name`,
    as the HTML parser keeps it)."""
    return name.rpartition("}")[2].rpartition(":")[2]


def _text_of(elements: list[Any]) -> str:
    parts: list[str] = []
    for element in elements:
        if isinstance(element.tag, str):
            parts.append(element.text or "")
            parts.extend(element.attrib.values())
        parts.append(element.tail or "")
    return "\n".join(parts)


def read_html(body: str) -> tuple[list[str], str]:
    document = html.document_fromstring(body)
    elements = list(document.iter())
    return _injected(elements), _text_of(elements)


_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _is_html(element: Any) -> bool:
    """Whether a reader takes this feed element's text as HTML: Atom's `type="html"`, RSS's
    `content:encoded`, and an RSS item's description (entity-encoded HTML, by the RSS
    profile's and the readers' practice)."""
    local = _local(element.tag)
    parent = element.getparent()
    in_item = parent is not None and _local(parent.tag) == "item"
    return (
        element.get("type") == "html" or local == "encoded" or (local == "description" and in_item)
    )


def read_xml(body: bytes) -> tuple[list[str], str]:
    root = etree.fromstring(body, parser=_XML)
    elements = list(root.iter())
    found, text = _injected(elements), _text_of(elements)
    for element in elements:
        if isinstance(element.tag, str) and _is_html(element) and (element.text or "").strip():
            inner, inner_text = read_html(f"<div>{element.text}</div>")
            found += [f"in the feed's HTML: {problem}" for problem in inner]
            text += "\n" + inner_text
    return found, text


def read_ics(body: bytes) -> tuple[list[str], str]:
    calendar = icalendar.Calendar.from_ical(body)
    found, texts = [], []
    for component in calendar.walk():
        for name, value in component.property_items(recursive=False):
            if name.startswith("X-HELD") or (name == "URL" and "javascript" in str(value)):
                found.append(f"a property {name} was injected into {component.name}")
            texts.append(str(value))
    return found, "\n".join(texts)


READERS = {"html": lambda a: read_html(a.text), "xml": lambda a: read_xml(a.content), "ics": lambda a: read_ics(a.content)}  # fmt: skip


def fetch(server: HeldServer, page: Page, written: Written, payload: Payload) -> httpx.Response:
    path = page.path(written)
    # An address carries no line break: what a link could hold is what is reflected.
    one_line = Payload(payload.does, " ".join(payload.text.splitlines()))
    params = {name: typed(marker, one_line, 40) for marker, name in page.reflected.items()}
    if NEXT in page.reflected:
        params["next"] = "/admin/" + typed(NEXT, one_line)
    if params:
        path += "?" + urlencode(params)
    headers = {"User-Agent": CONFORMING_AGENT, "Accept": "text/html"}
    if page.by is None:
        return httpx.get(server.url + path, headers=headers, timeout=10)
    with signed_in(server, page.by) as browser:
        return browser.get(path, headers=headers)


@pytest.mark.parametrize("page", PAGES, ids=str)
@pytest.mark.parametrize("payload", PAYLOADS, ids=str)
def test_a_payload_is_shown_as_text_never_as_markup(
    held: HeldServer, payload: Payload, page: Page, written: Written
) -> None:
    answer = fetch(held, page, written, payload)
    assert answer.status_code == 200, answer.text
    found, text = READERS[page.kind](answer)
    assert found == []
    for marker in (*page.shows, *page.reflected):
        assert marker in text, f"{page} does not show {marker}: the check looked elsewhere"
    if page.kind == "html":
        assert "<" not in payload.text or payload.text not in answer.text
        script = script_policy(answer.headers["content-security-policy"])
        assert script
        assert "'unsafe-inline'" not in script
        assert "'unsafe-eval'" not in script


def script_policy(csp: str) -> str:
    """The sources a Content-Security-Policy allows scripts from (script-src, else
    default-src)."""
    directives = {}
    for directive in csp.split(";"):
        name, _, sources = directive.strip().partition(" ")
        directives[name] = sources
    return directives.get("script-src", directives.get("default-src", ""))


def test_every_written_field_is_read_back_by_some_page() -> None:
    shown = {marker for page in PAGES for marker in page.shows}
    assert set(EVERY_WRITE) - {DE_NAME} <= shown
