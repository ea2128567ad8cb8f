"""The conformance report over real HTTP: JSON for programs, pages for people.

Run as a script (`python test_report_routes.py PORT`), this module is the server the tests talk
to: the report routes, with the project's error handlers, beside a one-body dashboard that has
every request judged by the same book, the way the simulator does; served by the project's own
`server.run` in a process of its own.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from status_dashboard.api.errors import TraceAndGuard, on_http_exception, on_problem, on_unexpected
from status_dashboard.api.problems import ProblemError
from status_dashboard.api.simulator.report_routes import report_routes
from status_dashboard.domain.conformance import AnswerFacts, RequestFacts
from status_dashboard.service.simulator.conformance import ConformanceBook

TESTS = Path(__file__).resolve().parents[2]
ETAG = '"the-one-body"'
STARTUP_LIMIT_S = 15.0
CLIENT_TIMEOUT_S = 5.0


# -- the server (when run as a script) ---------------------------------------------------------


def judged_app(book: ConformanceBook) -> TraceAndGuard:
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def dashboard(request: Request) -> Response:
        facts = RequestFacts(
            at=time.monotonic(),
            method=request.method,
            path=request.url.path,
            scenario=request.query_params.get("scenario", "timeline"),
            user_agent=request.headers.get("user-agent"),
            accept=request.headers.get("accept"),
            if_none_match=request.headers.get("if-none-match"),
            if_modified_since=request.headers.get("if-modified-since"),
        )
        verdict = book.judge(facts)
        status = 304 if facts.if_none_match == ETAG else 200
        book.answered(facts, AnswerFacts(time.monotonic(), status, ETAG, 15.0))
        headers = {
            "ETag": ETAG,
            "Cache-Control": "public, max-age=15",
            "X-Simulator-Conformance": verdict.header_value(),
        }
        body = b"" if status == 304 else b'{"groups":[]}'
        return Response(body, status, headers, media_type="application/json")

    app = Starlette(
        routes=[
            Route("/api/v1/dashboard", dashboard, methods=["GET", "HEAD"]),
            Route("/api/v1/dashboard/{environment}", dashboard, methods=["GET", "HEAD"]),
            *report_routes(book),
        ],
        exception_handlers={
            HTTPException: on_http_exception,
            ProblemError: on_problem,
            Exception: on_unexpected,
        },
    )
    return TraceAndGuard(app)


def serve(port: int) -> None:
    from status_dashboard.server import run

    book = ConformanceBook(wall_clock=lambda: datetime.now(UTC))
    run(judged_app(book), host="127.0.0.1", port=port, access_log=False)


# -- fixtures ----------------------------------------------------------------------------------


@dataclass
class ReportServer:
    url: str

    def client(self, user_agent: str | None) -> httpx.Client:
        """A client that sends `user_agent` (none at all for None) and Accept: application/json."""
        client = httpx.Client(
            base_url=self.url, headers={"Accept": "application/json"}, timeout=CLIENT_TIMEOUT_S
        )
        if user_agent is None:
            del client.headers["User-Agent"]
        else:
            client.headers["User-Agent"] = user_agent
        return client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportServer]:
    from support.server import free_port

    port = free_port()
    log_path = tmp_path_factory.mktemp("report") / "server.log"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, __file__, str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log_path)
        yield ReportServer(url)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/api/v1/simulator/report", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(
        f"server not up in {STARTUP_LIMIT_S} s:\n{log_path.read_text(errors='replace')}"
    )


def report_of(server: ReportServer, user_agent: str) -> httpx.Response:
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        return reader.get("/api/v1/simulator/report", params={"user_agent": user_agent})


def assert_problem(answer: httpx.Response, status: int, field: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, object] = answer.json()
    assert problem["status"] == status
    assert field in str(problem["detail"]) or field in str(problem.get("issues"))
    assert problem["instance"] == f"urn:uuid:{answer.headers['belgov-trace-id']}"
    return problem


# -- the JSON report ---------------------------------------------------------------------------


def test_a_client_that_called_gets_its_report_as_json(server: ReportServer) -> None:
    agent = "jsonReport/1.0 httpx/0.28.1"
    with server.client(agent) as client:
        first = client.get("/api/v1/dashboard")
        assert first.headers["x-simulator-conformance"] == "pass"
        again = client.get("/api/v1/dashboard")
        assert (
            again.headers["x-simulator-conformance"] == "warn; poll-interval, conditional-requests"
        )
    answer = report_of(server, agent)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    report = answer.json()
    assert (report["user_agent"], report["requests"]) == (agent, 2)
    assert (report["conforms"], report["verdict"]) == (True, "warn")
    assert report["broken_rules"] == ["poll-interval", "conditional-requests"]
    rules = {rule["rule"]: rule for rule in report["rules"]}
    assert rules["user-agent"]["status"] == "pass"
    assert rules["retry-after"]["status"] == "untested"
    assert rules["poll-interval"]["status"] == "warn"
    assert "max-age was 15 s" in rules["poll-interval"]["last_breach"]
    assert [r["status"] for r in report["recent_requests"]] == [200, 200]
    assert report["recent_requests"][0]["conformance"].startswith("warn")
    assert datetime.fromisoformat(report["last_seen"]).tzinfo is not None


def test_a_client_without_a_user_agent_is_reported_under_an_empty_one(
    server: ReportServer,
) -> None:
    with server.client(None) as client:
        answer = client.get("/api/v1/dashboard")
    assert answer.headers["x-simulator-conformance"] == "fail; user-agent"
    report = report_of(server, "").json()
    assert report["user_agent"] is None
    assert report["conforms"] is False
    [user_agent] = [rule for rule in report["rules"] if rule["rule"] == "user-agent"]
    assert "No User-Agent" in user_agent["last_breach"]


def test_without_user_agent_the_report_lists_every_client_with_a_link(
    server: ReportServer,
) -> None:
    agents = ["listedOne/1.0 httpx/0.28.1", "curl/8.5.0 listed"]
    for agent in agents:
        with server.client(agent) as client:
            client.get("/api/v1/dashboard/int")
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        listing = reader.get("/api/v1/simulator/report")
        assert listing.status_code == 200
        clients = {c["user_agent"]: c for c in listing.json()["clients"]}
        assert set(agents) <= set(clients)
        assert clients["curl/8.5.0 listed"]["verdict"] == "fail"
        linked = reader.get(clients["curl/8.5.0 listed"]["report"])
    assert linked.status_code == 200
    assert linked.json()["user_agent"] == "curl/8.5.0 listed"


def test_an_unknown_client_is_a_404_problem_naming_user_agent(server: ReportServer) -> None:
    problem = assert_problem(report_of(server, "neverCalled/1.0 x/1"), 404, "user_agent")
    assert "neverCalled/1.0 x/1" in str(problem["detail"])


def test_user_agent_given_twice_is_a_400_problem_naming_it(server: ReportServer) -> None:
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        answer = reader.get("/api/v1/simulator/report?user_agent=a/1%20b/2&user_agent=c/3%20d/4")
    problem = assert_problem(answer, 400, "user_agent")
    assert problem["issues"] == [
        {
            "type": "urn:problem-type:belgif:input-validation:schemaViolation",
            "title": "Input value is invalid with respect to the schema",
            "detail": "must be given once",
            "in": "query",
            "name": "user_agent",
        }
    ]


# -- forgetting ---------------------------------------------------------------------------------


def test_delete_forgets_a_client_so_its_next_run_starts_clean(server: ReportServer) -> None:
    agent = "forgetMe/1.0 httpx/0.28.1"
    with server.client(agent) as client:
        client.get("/api/v1/dashboard")
        assert client.get("/api/v1/dashboard").headers["x-simulator-conformance"] != "pass"
        gone = client.delete("/api/v1/simulator/report", params={"user_agent": agent})
        assert (gone.status_code, gone.content) == (204, b"")
        assert_problem(report_of(server, agent), 404, "user_agent")
        again = client.delete("/api/v1/simulator/report", params={"user_agent": agent})
        assert again.status_code == 204
        assert client.get("/api/v1/dashboard").headers["x-simulator-conformance"] == "pass"
    assert report_of(server, agent).json()["requests"] == 1


def test_delete_without_user_agent_is_a_400_problem_naming_it(server: ReportServer) -> None:
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        answer = reader.delete("/api/v1/simulator/report")
    problem = assert_problem(answer, 400, "user_agent")
    assert problem["issues"][0]["name"] == "user_agent"  # type: ignore[index]


def test_another_method_is_a_405_problem_with_allow(server: ReportServer) -> None:
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        answer = reader.post("/api/v1/simulator/report", content=b"{}")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(answer.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "DELETE"}


# -- the pages ---------------------------------------------------------------------------------

_SCRIPT = re.compile(r"<script", re.IGNORECASE)


def assert_page(answer: httpx.Response, status: int = 200) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    html = answer.text
    assert not _SCRIPT.search(html), "the page must work without script"
    assert re.search(r"\son\w+=", html) is None, "no inline event handler either"
    for landmark in ('<html lang="en">', "<header", "<nav", "<main", "<footer", "<h1>"):
        assert landmark in html
    return html


def test_the_page_lists_the_clients_in_a_table(server: ReportServer) -> None:
    agent = "pageListed/1.0 httpx/0.28.1"
    with server.client(agent) as client:
        client.get("/api/v1/dashboard")
        html = assert_page(client.get("/simulator/report"))
    assert f"<code>{agent}</code>" in html
    assert '<th scope="col">Verdict</th>' in html
    assert (
        f'href="/simulator/report?user_agent={quote(agent, safe="")}"'.replace("%20", "+") in html
    )


def test_a_clients_page_shows_every_rule_what_to_fix_and_its_recent_requests(
    server: ReportServer,
) -> None:
    agent = "Mozilla/5.0 <b>bold</b>"
    with server.client(agent) as client:
        client.get("/api/v1/dashboard/acc", headers={"Accept": "*/*"})
        html = assert_page(client.get("/simulator/report", params={"user_agent": agent}))
    assert "Mozilla/5.0 &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    for rule in (
        "user-agent",
        "accept",
        "retry-after",
        "no-parallel-bursts",
        "poll-interval",
        "conditional-requests",
    ):
        assert f'<th scope="row"><code>{rule}</code></th>' in html
    assert "does not conform" in html
    assert "Send Accept: application/json with every request" in html
    assert "Not tested yet." in html
    assert "GET /api/v1/dashboard/acc" in html
    assert "fail; user-agent, accept" in html
    assert "✖</span> fail" in html  # a status is told in words, the icon beside it


def test_an_unknown_clients_page_is_a_404_page(server: ReportServer) -> None:
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        html = assert_page(
            reader.get("/simulator/report", params={"user_agent": "neverCalled/1 x/1"}), 404
        )
    assert "neverCalled/1 x/1" in html


def test_the_pages_stylesheet_is_served_where_the_page_says(server: ReportServer) -> None:
    with server.client("reportReader/1.0 httpx/0.28.1") as reader:
        html = reader.get("/simulator/report").text
        found = re.search(r'<link rel="stylesheet" href="([^"]+)">', html)
        assert found
        css = reader.get(found.group(1))
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert ".status-fail" in css.text


if __name__ == "__main__":
    serve(int(sys.argv[1]))
