"""The public pages rendered from the read model (service.status_page) by Jinja2 templates in
`web/templates/public`, to bytes: what a page shows is decided here, how it looks there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup, escape

from status_dashboard.domain.model import Environment, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import WINDOWS
from status_dashboard.service.status_page import (
    DayBar,
    IncidentHistory,
    ItemDetail,
    Overview,
    PublicCatalog,
    localized,
)
from status_dashboard.web.public import view
from status_dashboard.web.public.assets import Assets
from status_dashboard.web.public.i18n import LANGUAGES, NATIVE_NAMES, Messages, catalogs

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "public"
DASHBOARD_API = "/api/v1/dashboard"
SHOWN_WINDOWS = ("24h", "7d", "30d", "90d")


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str
    current: bool = False
    hreflang: str | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """The request a page answers, as far as its links depend on it."""

    path: str
    language: str
    cursor: int | None = None


def environment_href(environment: Environment, page: str = "") -> str:
    """`/` and `/history` for the default environment, `/acc` and `/acc/history` for others."""
    base = "" if environment.is_default else f"/{environment.key}"
    return (base + page) or "/"


def dashboard_url(environment: Environment) -> str:
    return DASHBOARD_API if environment.is_default else f"{DASHBOARD_API}/{environment.key}"


def item_href(item_id: str) -> str:
    return f"/items/{item_id}"


def language_links(where: Where) -> list[Link]:
    links = []
    for language in LANGUAGES:
        query: dict[str, Any] = {"lang": language}
        if where.cursor is not None:
            query["before"] = where.cursor
        links.append(
            Link(
                NATIVE_NAMES[language],
                f"{where.path}?{urlencode(query)}",
                language == where.language,
                language,
            )
        )
    return links


def script_strings(messages: Messages) -> dict[str, Any]:
    """What the live-update script needs to say things in the page's language."""
    codes = [str(int(code)) for code in StatusCode]
    return {
        "lang": messages.language,
        "locale": messages.locale,
        "status": {code: messages(f"status.{code}") for code in codes},
        "icons": {str(int(code)): icon for code, icon in view.ICONS.items()},
        "banner": {code: messages(f"banner.{code}") for code in codes},
        "updated": messages("updated"),
        **{
            key: messages(key)
            for key in (
                "live_paused",
                "live_resumed",
                "changed",
                "just_now",
                "minutes_ago",
                "hours_ago",
                "day_ago",
                "days_ago",
            )
        },
    }


class Formatter:
    """The view helpers bound to one page: its language, zone, moment and catalog."""

    def __init__(
        self, messages: Messages, zone: tzinfo, now: datetime, catalog: PublicCatalog
    ) -> None:
        self.messages = messages
        self._zone = zone
        self._now = now
        self._catalog = catalog
        self._painter = view.BarPainter(messages)

    def t(self, key: str, /, **params: object) -> Markup:
        """A UI string with its parameters escaped, unless they are markup already."""
        return escape(self.messages(key)).format(**params)

    def iso(self, moment: datetime) -> str:
        return view.iso(moment, self._zone)

    def moment(self, moment: datetime) -> str:
        return view.date_time_text(moment, self.messages, self._zone)

    def ago(self, moment: datetime) -> str:
        return view.relative_text(moment, self._now, self.messages)

    def percent(self, ratio: float | None) -> str:
        return view.percent_text(ratio, self.messages)

    def status(self, code: StatusCode) -> str:
        return self.messages(f"status.{int(code)}")

    def icon(self, code: StatusCode) -> str:
        return view.ICONS[StatusCode(code)]

    def reason(self, reason: str) -> str:
        return view.reason_text(reason, self.messages)

    def environment(self, environment: Environment) -> str:
        key = f"env.{environment.key}"
        label = self.messages(key)
        return environment.name if label == key else label

    def item(self, item: Item) -> tuple[str, str | None]:
        """The item's name and description in the page's language."""
        return localized(
            item, self.messages.language, self._catalog.catalog_descriptions.get(item.id)
        )

    def affected(self, item_ids: Iterable[str]) -> list[tuple[str, str]]:
        """(name, id) of the items named, by name; ids no longer in the catalog are left out."""
        found = []
        for item_id in item_ids:
            located = self._catalog.items.get(item_id)
            if located is not None:
                found.append((self.item(located.item)[0], item_id))
        return sorted(found)

    def bars(self, days: Sequence[DayBar]) -> Markup:
        # BarPainter escapes every text it writes.
        return Markup(self._painter.svg(days))  # noqa: S704

    def day(self, bar: DayBar) -> str:
        return self.messages(
            "date",
            day=bar.day.day,
            month=self.messages(f"month.{bar.day.month}"),
            year=bar.day.year,
        )

    def incidents(self, count: int) -> str:
        return view.incidents_text(count, self.messages)


class PublicPages:
    def __init__(self, assets: Assets, zone: tzinfo, heartbeat_s: float) -> None:
        self._assets = assets
        self._zone = zone
        self._heartbeat_s = heartbeat_s
        self._jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,  # a typo in a template is a bug, not a blank
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates are part of the release: no stat() of every file on every render.
            auto_reload=False,
        )
        self._jinja.globals.update(
            WINDOWS=SHOWN_WINDOWS,
            item_href=item_href,
            environment_href=environment_href,
            css_url=assets.url("status.css"),
            js_url=assets.url("status.js"),
        )
        for name in ("overview.html", "history.html", "item.html", "error.html"):
            self._jinja.get_template(name)  # compiled now, not on a reader's first visit

    def overview(
        self, data: Overview, catalog: PublicCatalog, where: Where, now: datetime
    ) -> bytes:
        return self._render(
            "overview.html",
            catalog,
            where,
            now,
            data.environment,
            view=data,
            groups=data.environment.groups,
        )

    def history(
        self, data: IncidentHistory, catalog: PublicCatalog, where: Where, now: datetime
    ) -> bytes:
        return self._render("history.html", catalog, where, now, data.environment, view=data)

    def item(self, data: ItemDetail, catalog: PublicCatalog, where: Where, now: datetime) -> bytes:
        windows = [
            (label, getattr(data.figures.uptime, WINDOWS[label].field)) for label in SHOWN_WINDOWS
        ]
        return self._render(
            "item.html",
            catalog,
            where,
            now,
            data.located.environment,
            view=data,
            windows=windows,
        )

    def error(
        self,
        status: int,
        message_key: str,
        catalog: PublicCatalog,
        where: Where,
        now: datetime,
        **params: object,
    ) -> bytes:
        return self._render(
            "error.html",
            catalog,
            where,
            now,
            None,
            status=status,
            message_key=message_key,
            params=params,
        )

    def _render(
        self,
        template: str,
        catalog: PublicCatalog,
        where: Where,
        now: datetime,
        environment: Environment | None,
        **context: Any,
    ) -> bytes:
        messages = catalogs()[where.language]
        f = Formatter(messages, self._zone, now, catalog)
        shown = environment or catalog.environment(None)
        body = self._jinja.get_template(template).render(
            f=f,
            t=f.t,
            lang=where.language,
            where_cursor=where.cursor,
            environment=environment,
            environments=self._environment_links(catalog, environment, template),
            languages=language_links(where),
            home_href=environment_href(shown) if shown else "/",
            history_href=environment_href(shown, "/history") if shown else "/history",
            api_url=dashboard_url(shown) if shown else DASHBOARD_API,
            live=self._live(environment) if template == "overview.html" else None,
            strings=script_strings(messages),
            **context,
        )
        return body.encode("utf-8")

    def _live(self, environment: Environment | None) -> Mapping[str, Any] | None:
        """The attributes of `<main>` that start the live-update script. Only the environment
        pages follow the stream: history and item pages are documents of a moment, and the
        script would reload them whole on each change rather than update them in place."""
        if environment is None:
            return None
        url = dashboard_url(environment)
        return {
            "dashboard_url": url,
            "stream_url": url + "/stream",
            # 15, or 0.5: the script reads a number of seconds, not Python's float spelling.
            "heartbeat_s": f"{self._heartbeat_s:g}",
        }

    @staticmethod
    def _environment_links(
        catalog: PublicCatalog, current: Environment | None, template: str
    ) -> list[Link]:
        # From a history page the switch goes to the other environment's history.
        page = "/history" if template == "history.html" else ""
        return [
            Link(
                env.key.upper(),
                environment_href(env, page),
                current is not None and env.key == current.key,
            )
            for env in catalog.environments
        ]
