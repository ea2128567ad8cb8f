"""The public status pages: how soon a visitor's first view arrives, and what it weighs.

Starts `status-dashboard serve --demo --no-monitor` on a fresh SQLite database (no monitor, so
the bench's own writes are the only changes) and asks it, over loopback and with a browser's
headers, for each page of the demo: `/` (also in Dutch and French), `/acc`, `/int`, `/history`
and one PROD item's page. For each it times the whole HTML response on a fresh connection, served
from memory and right after an operator's change, and adds up what a first visit transfers (the
HTML and every file it links). Then wrk drives `/` for a throughput line. Prints a Markdown block
and writes it into docs/performance.md, section "Status pages (issue 5)". Runs in well under two
minutes.

`run()` measures, writes the block (unless told not to) and returns it; `main()` is the command.
The figures, verdicts and block are in bench_pages_report.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import bench_procs as procs
import bench_wrk as wrk
import brotli
from bench_pages_report import (
    CHANGES,
    INTRO,
    LOAD,
    REQUESTS,
    Cpu,
    Figures,
    Page,
    PageFigures,
    Weight,
    render,
    verdicts,
)
from bench_procs import DASHBOARD_PATH, DOC, SERVICE_BIN, BenchSetupError

SECTION = "## Status pages (issue 5)"
BEGIN, END = "<!-- bench-pages:begin -->", "<!-- bench-pages:end -->"

VISIBLE_WITHIN_S = 10.0
WARM_UP_S = 2

BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
}
SUBRESOURCE = {**BROWSER, "Accept": "*/*"}
API = {"Accept": "application/json", "User-Agent": "benchClient/1.0 pages/1.0"}
"""The admin and public API want a User-Agent of the cookbook's pattern, which no browser has."""
FETCHED_RELS = frozenset({"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload"})
"""`<link rel>` values a browser fetches while loading the page; others (alternate, canonical)
only name a document."""


# --- what a page links -----------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    same_origin: list[str]
    """Paths (with their query) a browser asks the same server for, each once, in page order."""
    foreign: list[str]
    """URLs on other hosts: outside the bench's count, so reported rather than added."""


class _Subresources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.declares_icon = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value for name, value in attrs if value is not None}
        if tag == "link":
            rels = set(named.get("rel", "").lower().split())
            self.declares_icon |= "icon" in rels
            if rels & FETCHED_RELS and "href" in named:
                self.urls.append(named["href"])
        elif tag in ("script", "img") and "src" in named:
            self.urls.append(named["src"])


def linked_subresources(html: str, page_url: str) -> Links:
    """The files a browser fetches to show the page at `page_url` (an absolute http URL)."""
    parser = _Subresources()
    parser.feed(html)
    parser.close()
    urls = parser.urls if parser.declares_icon else [*parser.urls, "/favicon.ico"]
    origin = urlsplit(page_url)
    same: list[str] = []
    foreign: list[str] = []
    for url in urls:
        absolute = urlsplit(urljoin(page_url, url.strip()))
        if absolute.scheme not in ("http", "https"):
            continue  # data: and the like are in the HTML already
        if (absolute.scheme, absolute.netloc) != (origin.scheme, origin.netloc):
            if absolute.geturl() not in foreign:
                foreign.append(absolute.geturl())
            continue
        path = absolute.path + (f"?{absolute.query}" if absolute.query else "")
        if path not in same:
            same.append(path)
    return Links(same, foreign)


# --- one request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes
    """As sent: compressed when the server compressed it."""
    head_bytes: int
    elapsed_s: float

    @property
    def transferred(self) -> int:
        return self.head_bytes + len(self.body)

    def plain_body(self) -> bytes:
        coding = self.headers.get("content-encoding")
        if coding == "br":
            decoded: bytes = brotli.decompress(self.body)
            return decoded
        return gzip.decompress(self.body) if coding == "gzip" else self.body


def head_size(version: int, status: int, reason: str, headers: Sequence[tuple[str, str]]) -> int:
    """Bytes of a response's status line and header block, as http.client read them (it keeps
    the names and values, not the raw block, so the separators are counted as sent: ": ",
    CRLF)."""
    lines = [f"HTTP/{version // 10}.{version % 10} {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return len(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def fetch(port: int, path: str, headers: dict[str, str]) -> Fetched:
    """One GET on a connection of its own, timed from the connect to the last byte of the body."""
    conn = http.client.HTTPConnection(procs.HOST, port, timeout=10)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)  # connects here
        answer = conn.getresponse()
        body = answer.read()
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    pairs = answer.getheaders()
    return Fetched(
        answer.status,
        {name.lower(): value for name, value in pairs},
        body,
        head_size(answer.version, answer.status, answer.reason, pairs),
        elapsed,
    )


def timed_page(port: int, path: str) -> float:
    answer = fetch(port, path, BROWSER)
    if answer.status != 200:
        raise BenchSetupError(f"GET {path} answered {answer.status}")
    return answer.elapsed_s


# --- the server side -------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    token: str


def admin_token(log: Path) -> str:
    found = re.search(r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)", log.read_text())
    if found is None:
        raise BenchSetupError("the demo server printed no admin token")
    return found.group(1)


def _bench_cpu_s() -> tuple[float, float]:
    """CPU of the bench itself and of its children that have ended (wrk; the server has not)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


@contextmanager
def cpu_window(pid: int, name: str, into: dict[str, Cpu]) -> Iterator[None]:
    server, (bench, kids), busy = procs.cpu_s(pid), _bench_cpu_s(), procs.system_busy_s()
    started = time.monotonic()
    yield
    window = time.monotonic() - started
    server = procs.cpu_s(pid) - server
    bench_now, kids_now = _bench_cpu_s()
    bench, kids = bench_now - bench, kids_now - kids
    other = max(0.0, procs.system_busy_s() - busy - server - bench - kids)
    into[name] = Cpu(window, server, bench, kids, other)


def dashboard_etag(port: int, known: str | None = None) -> str | None:
    """The PROD dashboard's ETag, or None while it is still `known`."""
    headers = API if known is None else {**API, "If-None-Match": known}
    answer = procs.get(port, DASHBOARD_PATH, headers)
    if answer.status == 304:
        return None
    if answer.status != 200 or "etag" not in answer.headers:
        raise BenchSetupError(f"GET {DASHBOARD_PATH} answered {answer.status} without an ETag")
    return answer.headers["etag"]


def change(server: Server, item_id: str, number: int) -> float:
    """Set the item Disrupted, then back Operational on the next call, with a new description
    each time, so every change is one the public sees; the seconds the write took to answer."""
    body = json.dumps(
        {"status_code": 2 if number % 2 == 0 else 1, "description": f"Benchmark change {number}"}
    )
    conn = http.client.HTTPConnection(procs.HOST, server.port, timeout=10)
    try:
        sent = time.perf_counter()
        conn.request(
            "PATCH",
            f"/api/admin/v1/dashboards/prod/items/{item_id}",
            body=body,
            headers={
                **API,
                "Authorization": f"Bearer {server.token}",
                "Content-Type": "application/json",
            },
        )
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise BenchSetupError(f"the admin write answered {answer.status}")
        return time.perf_counter() - sent
    finally:
        conn.close()


def wait_visible(port: int, known: str) -> tuple[str, float]:
    """Poll the dashboard until its ETag moves from `known`: the new ETag and how long it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < VISIBLE_WITHIN_S:
        moved = dashboard_etag(port, known)
        if moved is not None:
            return moved, time.perf_counter() - started
        time.sleep(0.002)
    raise BenchSetupError(f"a change was not visible on {DASHBOARD_PATH} within 10 s")


# --- the phases ------------------------------------------------------------------------------


def demo_pages(port: int) -> tuple[list[Page], str, str]:
    """The pages to measure, the PROD item they and the changes use, and a line on the demo."""
    dashboard = json.loads(procs.get(port, DASHBOARD_PATH, API).body)
    groups = dashboard["groups"]
    item = groups[0]["items"][0]
    items = sum(len(group["items"]) for group in groups)
    pages = [
        Page("PROD, English", "/"),
        Page("PROD, Dutch", "/?lang=nl"),
        Page("PROD, French", "/?lang=fr"),
        Page("ACC", "/acc"),
        Page("INT", "/int"),
        Page("incident history", "/history"),
        Page(f"item: {item.get('name', item['id'])}", f"/items/{item['id']}"),
    ]
    demo = f"PROD with {items} items in {len(groups)} groups"
    return pages, item["id"], demo


def measure_weight(port: int, path: str) -> Weight:
    html = fetch(port, path, BROWSER)
    if html.status != 200 or html.headers.get("content-encoding") != "br":
        coding = html.headers.get("content-encoding", "none")
        raise BenchSetupError(f"GET {path} answered {html.status} with coding {coding}, not br")
    plain = html.plain_body()
    links = linked_subresources(plain.decode("utf-8"), f"http://{procs.HOST}:{port}{path}")
    files = {}
    for linked in links.same_origin:
        answer = fetch(port, linked, SUBRESOURCE)
        # The favicon a browser asks for unbidden weighs what it weighs, a 404 included.
        if answer.status != 200 and linked != "/favicon.ico":
            raise BenchSetupError(f"{path} links {linked}, which answered {answer.status}")
        files[linked] = answer.transferred
    return Weight(html.transferred, len(plain), files, links.foreign)


def measure_on(server: Server, wrk_bin: str, figures: Figures) -> None:
    pages, item_id, figures.demo = demo_pages(server.port)
    figures.pages = [PageFigures(page) for page in pages]
    for measured in figures.pages:
        measured.first_s = timed_page(server.port, measured.page.path)

    print(f"bench_pages: {REQUESTS} requests on each of {len(pages)} pages")
    with cpu_window(server.pid, "pages served from memory", figures.cpu):
        for measured in figures.pages:
            measured.cached_s = [
                timed_page(server.port, measured.page.path) for _ in range(REQUESTS)
            ]

    print(f"bench_pages: {CHANGES} changes for each page")
    etag = dashboard_etag(server.port) or ""
    with cpu_window(server.pid, "changes, then the pages", figures.cpu):
        for _ in range(CHANGES):
            for measured in figures.pages:
                figures.writes_s.append(change(server, item_id, len(figures.writes_s)))
                etag, visible = wait_visible(server.port, etag)
                figures.visible_s.append(visible)
                measured.changed_s.append(timed_page(server.port, measured.page.path))

    for measured in figures.pages:
        measured.weight = measure_weight(server.port, measured.page.path)

    print(f"bench_pages: wrk on /: warm-up {WARM_UP_S} s, run {LOAD.duration_s} s")
    url = f"http://{procs.HOST}:{server.port}/"
    wrk.run(wrk_bin, url, BROWSER, wrk.Load(WARM_UP_S, LOAD.connections, LOAD.threads))
    with cpu_window(server.pid, "wrk on /", figures.cpu):
        figures.throughput = wrk.run(wrk_bin, url, BROWSER, LOAD)


def _version(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    words = (done.stdout + done.stderr).split()
    return next((w.rpartition("/")[2] for w in words if any(c.isdigit() for c in w)), "unknown")


def machine(wrk_bin: str) -> str:
    model = next(
        (
            line.partition(":")[2].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return (
        f"{len(os.sched_getaffinity(0))} CPUs ({model}), Linux {platform.release()}; "
        f"Python {platform.python_version()}, Granian {importlib.metadata.version('granian')}, "
        f"wrk {_version([wrk_bin, '--version'])}"
    )


@contextmanager
def _stopped_on_sigterm() -> Iterator[None]:
    """A SIGTERM to the bench unwinds it, so the server it started is stopped too."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure() -> Figures:
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise BenchSetupError("wrk is needed: `apt-get install wrk`")
    figures = Figures(machine=machine(wrk_bin))
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as directory, _stopped_on_sigterm():
        tmp = Path(directory)
        port = procs.free_port()
        log = tmp / "server.log"
        command = [str(SERVICE_BIN), "serve", "--demo", "--no-monitor", "--host", procs.HOST]
        command += ["--port", str(port), "--database", f"sqlite:///{tmp / 'bench.db'}"]
        try:
            with procs.running(command, log) as (proc, started):
                procs.wait_for_200(port, "/health", proc, started)
                measure_on(Server(port, proc.pid, admin_token(log)), wrk_bin, figures)
        except (BenchSetupError, OSError, TimeoutError, wrk.WrkError) as exc:
            raise BenchSetupError(f"{exc}\n{procs.log_tail(log)}") from exc
    return figures


def write(block: str, doc: Path = DOC) -> None:
    procs.put_block(doc, (BEGIN, END), block, SECTION, INTRO)


def run(write_doc: bool = True) -> str:
    """Measure, write the block into docs/performance.md (unless `write_doc` is false), and
    return it."""
    figures = measure()
    block = render(figures)
    if write_doc:
        write(block)
    for verdict in verdicts(figures):
        if not verdict.passed:
            print(f"bench_pages: TARGET FAILED: {verdict.target}: {verdict.observed}")
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args(argv)
    return procs.report_or_fail("bench_pages", lambda: run(write_doc=not args.no_write))


if __name__ == "__main__":
    sys.exit(main())
