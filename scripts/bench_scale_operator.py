"""The scale bench's operator: one admin write a second, on each replica in turn, and for each
the time until every replica serves the new body, polled on the replica's own port."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench_procs import DASHBOARD_PATH, HOST, BenchSetupError

AGENT = "benchOperator/1.0 python/3.11"
CHANGE_EVERY_S = 1.0
POLL_EVERY_S = 0.005
SEEN_LIMIT_S = 10.0
"""A change a replica has not shown after this long is counted as missing."""
WRITE_LIMIT_S = 60.0
"""How long the operator waits for a write's answer before the bench gives up. With the cores
saturated, PostgreSQL's own processes stall now and then (a plain `SELECT 1` from outside once
took 3.8 s), and a write waits with them: such a write shows in the write's maximum, it does
not end the bench."""

Shown = tuple[int, str]
"""How the changed item shows on the dashboard: its status code and description."""


@dataclass(frozen=True)
class Change:
    """One admin write: how long it took, and when each replica served it, in seconds after
    the write's answer (None: not within SEEN_LIMIT_S)."""

    number: int
    writer: int
    """The index of the replica that took the write."""
    write_s: float
    seen_s: tuple[float | None, ...]


class Watcher:
    """One replica's public dashboard over one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._conn = http.client.HTTPConnection(HOST, port, timeout=5)

    def get(self, etag: str | None = None) -> tuple[int, str, bytes]:
        """Status, ETag and body of one GET, with `If-None-Match: etag` if given."""
        headers = {"Accept": "application/json", "User-Agent": AGENT, "Accept-Encoding": "identity"}
        if etag is not None:
            headers["If-None-Match"] = etag
        try:
            return self._get(headers)
        except (OSError, http.client.HTTPException):
            self._conn.close()  # the server closed the idle connection: once more, on a new one
            return self._get(headers)

    def _get(self, headers: dict[str, str]) -> tuple[int, str, bytes]:
        self._conn.request("GET", DASHBOARD_PATH, headers=headers)
        answer = self._conn.getresponse()
        return answer.status, answer.getheader("etag") or "", answer.read()

    def wait_for(self, old_etag: str, item_id: str, shown: Shown, since: float) -> str:
        """Poll until the body shows the item as `shown`; return the new ETag. Raises
        TimeoutError SEEN_LIMIT_S after `since` (a monotonic time)."""
        etag = old_etag
        while time.monotonic() - since < SEEN_LIMIT_S:
            status, new_etag, body = self.get(etag)
            if status == 200 and new_etag != etag:
                etag = new_etag
                if item_shown(body, item_id) == shown:
                    return etag
            elif status not in (200, 304):
                raise BenchSetupError(f"the replica on {self._port} answered {status} to a poll")
            time.sleep(POLL_EVERY_S)
        raise TimeoutError


def item_shown(body: bytes, item_id: str) -> Shown:
    for group in json.loads(body)["groups"]:
        for item in group["items"]:
            if item["id"] == item_id:
                return int(item["status_code"]), str(item.get("description", ""))
    raise BenchSetupError(f"the dashboard has no item {item_id}")


def first_item(port: int) -> str:
    """The id of the first item of the replica's default dashboard: the one the operator
    changes."""
    _, _, body = Watcher(port).get()
    item_id: str = json.loads(body)["groups"][0]["items"][0]["id"]
    return item_id


def write_item(port: int, token: str, item_id: str, shown: Shown) -> tuple[float, float]:
    """The operator's PATCH; the monotonic times it was sent and answered."""
    body = json.dumps({"status_code": shown[0], "description": shown[1]})
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "User-Agent": AGENT,
    }
    conn = http.client.HTTPConnection(HOST, port, timeout=WRITE_LIMIT_S)
    try:
        sent = time.monotonic()
        conn.request("PATCH", f"/api/admin/v1/dashboards/prod/items/{item_id}", body, headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise BenchSetupError(f"the admin write answered {answer.status}")
        return sent, time.monotonic()
    finally:
        conn.close()


def _seen_after(
    watcher: Watcher, old: str, item_id: str, shown: Shown, since: float
) -> tuple[float | None, str]:
    try:
        etag = watcher.wait_for(old, item_id, shown, since)
        return time.monotonic() - since, etag
    except TimeoutError:
        return None, watcher.get()[1]


def operate(ports: Sequence[int], token: str, item_id: str, stop: threading.Event) -> list[Change]:
    """One change a second until `stop`, on each replica in turn (status Disrupted and
    Operational in turn, a new description each time, so each is a new body), each timed on
    every replica at once. A change slower than a second delays the next; none is skipped."""
    watchers = [Watcher(port) for port in ports]
    etags = [watcher.get()[1] for watcher in watchers]
    changes: list[Change] = []
    tick = time.monotonic()
    with ThreadPoolExecutor(len(ports)) as pool:
        while not stop.is_set():
            number = len(changes) + 1
            writer = (number - 1) % len(ports)
            shown = (2 if number % 2 else 1, f"Benchmark change {number}")
            sent, answered = write_item(ports[writer], token, item_id, shown)
            futures = [
                pool.submit(_seen_after, watcher, etag, item_id, shown, answered)
                for watcher, etag in zip(watchers, etags, strict=True)
            ]
            seen = [future.result(timeout=SEEN_LIMIT_S + 15) for future in futures]
            etags = [etag for _, etag in seen]
            changes.append(Change(number, writer, answered - sent, tuple(s for s, _ in seen)))
            tick = max(tick + CHANGE_EVERY_S, time.monotonic())
            stop.wait(tick - time.monotonic())
    return changes
