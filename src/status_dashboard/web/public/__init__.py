"""The public status pages: server-rendered HTML that works without JavaScript (issue 5).

`status_pages(...)` gives the routes for the application to mount; the read model behind them
is `service.status_page.StatusPage`. Modules: `routes` (paths, caching of rendered pages),
`pages` (view data to HTML), `view` (formatting), `i18n` (languages and UI strings),
`assets` (fingerprinted CSS and script), `encoding` and `responses` (what goes on the wire).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from starlette.routing import BaseRoute

from status_dashboard.service.status_page import StatusPage
from status_dashboard.web.public.assets import STATIC, Assets
from status_dashboard.web.public.i18n import catalogs
from status_dashboard.web.public.pages import PublicPages
from status_dashboard.web.public.routes import PublicSite

HEARTBEAT_S = 15.0
"""How often the live stream sends a heartbeat; the script counts missed ones from it."""


def status_pages(
    page: StatusPage,
    *,
    zone: tzinfo,
    clock: Callable[[], datetime],
    environment_keys: Callable[[], Sequence[str]],
    heartbeat_s: float = HEARTBEAT_S,
    static_directory: Path = STATIC,
) -> list[BaseRoute]:
    """The public pages' routes. Templates, message catalogs and static files are read here,
    once, so that a broken one stops the server at start rather than failing a reader."""
    catalogs()
    assets = Assets(static_directory)
    site = PublicSite(
        page,
        PublicPages(assets, zone, heartbeat_s),
        assets,
        clock=clock,
        environment_keys=environment_keys,
    )
    return site.routes()


__all__ = ["HEARTBEAT_S", "status_pages"]
