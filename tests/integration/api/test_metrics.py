"""`/metrics` of real processes: `serve` behind its bearer token and on its metrics port, the
route off without a token, and a `worker`'s metrics port. Each figure is checked against what
the test did to the process, or against what the process serves."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from integration.probes.servers import Answer, HttpServer, serving
from integration.store.catalogs import BASE
from integration.worker.processes import start_worker, wait_for
from status_dashboard.bootstrap import open_stores
from status_dashboard.config import Settings
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckSchedule, HttpCheck
from status_dashboard.service.publisher import utc_now

from support.databases import sqlite_database_url
from support.server import CONFORMING_AGENT, RunningServer, free_port, running_server

TOKEN = "metrics-test-token-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
LIMIT_S = 15.0


@dataclass(frozen=True)
class Scrape:
    """One exposition, parsed: every sample by name and labels."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    families: dict[str, str]
    """Family name to its type."""

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples, families = {}, {}
        for family in text_string_to_metric_families(text):
            families[family.name] = family.type
            for s in family.samples:
                samples[(s.name, frozenset(s.labels.items()))] = s.value
        return cls(samples, families)

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; 0 when it is not there (yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def labelled(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.samples if sample == name]


def scrape(url: str, headers: dict[str, str] | None = None) -> Scrape:
    answer = httpx.get(url, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == TEXT_FORMAT
    return Scrape.parse(answer.text)


def eventually(scraped: Callable[[], Scrape], holds: Callable[[Scrape], bool]) -> Scrape:
    """Scrape until `holds`: counts that are written in batches (the register) come later."""
    deadline = time.monotonic() + LIMIT_S
    while True:
        current = scraped()
        if holds(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError("the metrics never showed the expected figure")
        time.sleep(0.05)


@dataclass
class MeasuredServer:
    server: RunningServer
    metrics_port: int

    def scrape(self) -> Scrape:
        return scrape(f"{self.server.url}/metrics", BEARER)

    def scrape_port(self) -> Scrape:
        return scrape(f"http://127.0.0.1:{self.metrics_port}/metrics")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeasuredServer]:
    """`serve --demo` (monitor included) with a metrics token and a metrics port."""
    directory = tmp_path_factory.mktemp("metrics")
    port = free_port()
    env = {"STATUS_DASHBOARD_METRICS_TOKEN": TOKEN, "STATUS_DASHBOARD_METRICS_PORT": str(port)}
    with running_server(sqlite_database_url(directory), directory, "--demo", env=env) as server:
        yield MeasuredServer(server, port)


REQUESTS = "status_dashboard_http_requests_total"


def assert_problem(answer: httpx.Response, status: int) -> dict[str, object]:
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    document: dict[str, object] = answer.json()
    assert document["status"] == status
    return document


@pytest.mark.parametrize(
    ("authorization", "kind"),
    [
        (None, "noAccessToken"),
        ("Bearer wrong-token", "invalidAccessToken"),
        (f"Bearer {TOKEN}x", "invalidAccessToken"),
        ("Bearer", "invalidAccessToken"),
        (f"Basic {TOKEN}", "noAccessToken"),
        (TOKEN, "noAccessToken"),
    ],
)
def test_metrics_without_the_token_are_a_401_problem_with_a_bearer_challenge(
    measured: MeasuredServer, authorization: str | None, kind: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = httpx.get(f"{measured.server.url}/metrics", headers=headers, timeout=10)
    document = assert_problem(answer, 401)
    assert document["type"] == f"urn:problem-type:belgif:{kind}"
    assert "Authorization" in str(document["detail"])
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "status_dashboard" not in answer.text


def test_with_the_token_metrics_are_the_prometheus_text_format(measured: MeasuredServer) -> None:
    answer = httpx.get(f"{measured.server.url}/metrics", headers=BEARER, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == TEXT_FORMAT
    assert answer.headers["cache-control"] == "no-store"
    families = Scrape.parse(answer.text).families
    expected = {
        "status_dashboard_http_requests": "counter",
        "status_dashboard_http_request_duration_seconds": "histogram",
        "status_dashboard_snapshot_rebuilds": "counter",
        "status_dashboard_snapshot_rebuild_duration_seconds": "histogram",
        "status_dashboard_snapshot_revision": "gauge",
        "status_dashboard_snapshot_age_seconds": "gauge",
        "status_dashboard_sse_connections_open": "gauge",
        "status_dashboard_sse_connections_opened": "counter",
        "status_dashboard_checks_run": "counter",
        "status_dashboard_checks_failed": "counter",
        "status_dashboard_checks_late": "counter",
        "status_dashboard_items": "gauge",
        "status_dashboard_client_identities": "gauge",
        "status_dashboard_client_nonconforming_requests": "counter",
        "status_dashboard_client_register_flushes": "counter",
        "status_dashboard_client_register_identities_flushed": "counter",
    }
    assert {name: families.get(name) for name in expected} == expected
    head = httpx.head(f"{measured.server.url}/metrics", headers=BEARER, timeout=10)
    assert (head.status_code, head.content) == (200, b"")


def test_other_methods_on_metrics_are_a_405_problem(measured: MeasuredServer) -> None:
    answer = httpx.post(f"{measured.server.url}/metrics", headers=BEARER, timeout=10)
    assert_problem(answer, 405)
    assert "GET" in answer.headers["allow"]


def test_five_dashboard_requests_move_the_dashboard_counter_by_five(
    measured: MeasuredServer,
) -> None:
    ok = {"route": "dashboard", "method": "GET", "status": "200", "environment": "acc"}
    missing = {"route": "dashboard", "method": "GET", "status": "404", "environment": ""}
    before = measured.scrape()
    with measured.server.client() as client:
        for _ in range(5):
            assert client.get("/api/v1/dashboard/acc").status_code == 200
        assert client.get("/api/v1/dashboard/nowhere").status_code == 404
    after = measured.scrape()
    assert after.value(REQUESTS, **ok) - before.value(REQUESTS, **ok) == 5
    assert after.value(REQUESTS, **missing) - before.value(REQUESTS, **missing) == 1
    timed = "status_dashboard_http_request_duration_seconds_count"
    assert after.value(timed, route="dashboard") - before.value(timed, route="dashboard") == 6


def test_conditional_and_head_answers_are_counted_under_their_own_status_and_method(
    measured: MeasuredServer,
) -> None:
    not_modified = {"route": "dashboard", "method": "GET", "status": "304", "environment": "prod"}
    head = {"route": "dashboard", "method": "HEAD", "status": "200", "environment": "prod"}
    before = measured.scrape()
    with measured.server.client() as client:
        etag = client.get("/api/v1/dashboard").headers["etag"]
        assert client.get("/api/v1/dashboard", headers={"If-None-Match": etag}).status_code == 304
        assert client.head("/api/v1/dashboard/prod").status_code == 200
    after = measured.scrape()
    assert after.value(REQUESTS, **not_modified) - before.value(REQUESTS, **not_modified) == 1
    assert after.value(REQUESTS, **head) - before.value(REQUESTS, **head) == 1


@pytest.mark.parametrize(
    ("path", "route", "status"),
    [
        ("/health", "health", 200),
        ("/admin/login", "admin", 200),
        ("/api/admin/v1/tokens", "admin", 401),
        ("/feeds/prod.atom", "feed", 200),
        ("/badges/prod.svg", "badge", 200),
        ("/", "page", 200),
        ("/no/such/thing", "other", 404),
    ],
)
def test_every_other_route_is_counted_and_timed_under_its_own_label(
    measured: MeasuredServer, path: str, route: str, status: int
) -> None:
    labels = {"route": route, "method": "GET", "status": str(status), "environment": ""}
    timed = "status_dashboard_http_request_duration_seconds_count"
    before = measured.scrape()
    with measured.server.client() as client:
        assert client.get(path).status_code == status
    after = measured.scrape()
    assert after.value(REQUESTS, **labels) - before.value(REQUESTS, **labels) == 1
    assert after.value(timed, route=route) - before.value(timed, route=route) >= 1


def test_no_label_of_any_request_comes_from_what_the_client_sent(
    measured: MeasuredServer,
) -> None:
    with measured.server.client() as client:
        client.request("PROPFIND", "/api/v1/dashboard/made-up-env")
        client.get("/made-up-page/with/segments")
        client.get("/api/v1/dashboard/another-made-up-env")
    labels = measured.scrape().labelled(REQUESTS)
    assert {entry["environment"] for entry in labels} <= {"", "prod", "acc", "int"}
    assert {entry["method"] for entry in labels} <= {"GET", "HEAD", "POST", "OPTIONS", "other"}


def test_the_items_by_status_are_those_of_the_served_dashboards(measured: MeasuredServer) -> None:
    # The monitor may move an item meanwhile: compare a scrape taken between two equal reads.
    with measured.server.client() as client:
        for _ in range(20):
            before = {env: client.get(f"/api/v1/dashboard/{env}") for env in ("prod", "acc", "int")}
            scraped = measured.scrape()
            after = {env: client.get(f"/api/v1/dashboard/{env}") for env in ("prod", "acc", "int")}
            if all(before[env].headers["etag"] == after[env].headers["etag"] for env in before):
                break
        else:
            raise AssertionError("the dashboards never held still for a scrape")
    for env, answer in before.items():
        served = Counter(
            item["status_code"] for group in answer.json()["groups"] for item in group["items"]
        )
        for code, status in ((1, "operational"), (2, "disrupted"), (3, "unknown")):
            found = scraped.value(
                "status_dashboard_items", environment=env, status_code=str(code), status=status
            )
            assert found == served[code], (env, code)
    assert sum(scraped.value("status_dashboard_items", **labels) for labels in
               scraped.labelled("status_dashboard_items")) > 100  # fmt: skip


def test_the_snapshot_figures_say_it_was_built_and_is_fresh(measured: MeasuredServer) -> None:
    scraped = measured.scrape()
    assert scraped.value("status_dashboard_snapshot_rebuilds_total") >= 1
    assert scraped.value("status_dashboard_snapshot_rebuild_duration_seconds_count") >= 1
    assert scraped.value("status_dashboard_snapshot_revision") >= 1
    # The test server polls the store every 0.2 s.
    assert 0 <= scraped.value("status_dashboard_store_last_success_age_seconds") < 5
    assert scraped.value("status_dashboard_snapshot_age_seconds") >= 0


def test_an_open_live_stream_is_counted_while_it_lasts(measured: MeasuredServer) -> None:
    opened = "status_dashboard_sse_connections_opened_total"
    started = {"route": "stream", "method": "GET", "status": "200", "environment": "prod"}
    before = measured.scrape()
    headers = {"Accept": "text/event-stream", "User-Agent": CONFORMING_AGENT}
    with (
        httpx.Client(base_url=measured.server.url, timeout=10) as client,
        client.stream("GET", "/api/v1/dashboard/stream", headers=headers) as stream,
    ):
        chunks = stream.iter_bytes()
        first = next(chunks)
        while b"event: dashboard" not in first:
            first += next(chunks)
        during = measured.scrape()
    assert during.value("status_dashboard_sse_connections_open") >= 1
    assert during.value(opened) - before.value(opened) == 1
    assert during.value(REQUESTS, **started) - before.value(REQUESTS, **started) == 1
    assert during.value("status_dashboard_http_request_duration_seconds_count", route="stream") == 0
    eventually(
        measured.scrape,
        lambda s: (
            s.value("status_dashboard_sse_connections_open")
            == before.value("status_dashboard_sse_connections_open")
        ),
    )


def test_the_in_process_monitor_counts_the_checks_it_runs(measured: MeasuredServer) -> None:
    scraped = eventually(
        measured.scrape, lambda s: s.value("status_dashboard_checks_run_total") > 0
    )
    ran = scraped.value("status_dashboard_checks_run_total")
    assert 0 <= scraped.value("status_dashboard_checks_failed_total") <= ran
    assert scraped.value("status_dashboard_checks_late_total") <= ran


def test_the_client_register_flushes_are_counted_with_their_identities(
    measured: MeasuredServer,
) -> None:
    nonconforming = "status_dashboard_client_nonconforming_requests_total"
    before = measured.scrape()
    with httpx.Client(base_url=measured.server.url, timeout=10) as client:
        for agent in ("curl/8.0", "curl/8.0", "not a product"):
            headers = {"User-Agent": agent, "Accept": "application/json"}
            # The demo's INT is strict: it refuses them, and counts them all the same.
            assert client.get("/api/v1/dashboard/int", headers=headers).status_code == 400
    after = eventually(
        measured.scrape,
        lambda s: (
            s.value(nonconforming, environment="int")
            - before.value(nonconforming, environment="int")
            == 3
        ),
    )
    assert after.value("status_dashboard_client_register_flushes_total") > before.value(
        "status_dashboard_client_register_flushes_total"
    )
    assert after.value("status_dashboard_client_register_identities_flushed_total") >= 2
    assert after.value("status_dashboard_client_register_flush_failures_total") == 0


def test_the_metrics_port_serves_the_same_figures_without_a_token(
    measured: MeasuredServer,
) -> None:
    labels = {"route": "health", "method": "GET", "status": "200", "environment": ""}
    before = measured.scrape_port()
    httpx.get(f"{measured.server.url}/health", timeout=10)
    after = measured.scrape_port()
    assert after.value(REQUESTS, **labels) - before.value(REQUESTS, **labels) == 1
    assert set(after.families) == set(measured.scrape().families)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/", 404), ("GET", "/metrics/x", 404), ("POST", "/metrics", 405)],
)
def test_the_metrics_port_answers_anything_else_with_a_problem(
    measured: MeasuredServer, method: str, path: str, status: int
) -> None:
    url = f"http://127.0.0.1:{measured.metrics_port}{path}"
    answer = httpx.request(method, url, timeout=10)
    assert_problem(answer, status)
    if status == 405:
        assert answer.headers["allow"] == "GET, HEAD"


def test_without_a_token_the_metrics_route_is_off(tmp_path: Path) -> None:
    with running_server(sqlite_database_url(tmp_path), tmp_path, "--demo") as server:
        for headers in ({}, BEARER, {"Authorization": "Bearer"}):
            answer = httpx.get(f"{server.url}/metrics", headers=headers, timeout=10)
            document = assert_problem(answer, 404)
            assert document["detail"] == "No resource at '/metrics'"


IDP = ids.item_id("prod", "idp")
STS = ids.item_id("prod", "sts")


def test_a_workers_metrics_port_shows_the_checks_it_ran(sqlite_url: str, tmp_path: Path) -> None:
    stores = open_stores(Settings(database_url=sqlite_url))
    stores.dashboards.apply_catalog(BASE, utc_now())
    schedule = CheckSchedule(interval_s=1.0, timeout_s=0.5)
    target = HttpServer()
    port = free_port()
    with serving(target):
        up = target.answer("/up", Answer(200, b"UP"))
        down = target.answer("/down", Answer(500, b"DOWN"))
        stores.monitor.set_checks(IDP, [("up", HttpCheck(up), schedule)], utc_now())
        stores.monitor.set_checks(STS, [("down", HttpCheck(down), schedule)], utc_now())
        env = {"STATUS_DASHBOARD_METRICS_PORT": str(port)}
        worker = start_worker(sqlite_url, tmp_path, "measured", env=env)
        url = f"http://127.0.0.1:{port}/metrics"
        try:
            wait_for(lambda: _answers(url), LIMIT_S, f"the worker's metrics port\n{worker.log()}")
            scraped = eventually(
                lambda: scrape(url),
                lambda s: s.value("status_dashboard_checks_run_total") >= 4,
            )
        finally:
            assert worker.terminate() == 0
            stores.close()
    ran = scraped.value("status_dashboard_checks_run_total")
    failed = scraped.value("status_dashboard_checks_failed_total")
    # Half the checks fail; a scrape may fall between the start of a run and its end.
    assert ran / 2 - 1 <= failed <= ran / 2 + 1
    assert "status_dashboard_http_requests" not in scraped.families, "a worker serves no HTTP"
    assert "event=metrics_listening" in worker.log()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
