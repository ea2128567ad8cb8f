"""If-Match under concurrency: writers that race with the same version on one item get one 200
and 409s, never several 200s of which all but one are silently overwritten — on SQLite and
PostgreSQL, against a real server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support.admin import Admin, admin_server

EXCHANGE = "2c7ab1fb8df82828f961293921177004"  # PROD, "WebService eHealth - IAM Connect - eXchange"
ITEM = "/api/admin/v1/dashboards/prod/items/" + EXCHANGE
ROUNDS = 50
WRITERS = 4


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"race-{request.param}")
    with admin_server(request.param, directory, default_role="operator") as admin:
        yield admin


def _race(clients: list[httpx.Client], send: object) -> list[httpx.Response]:
    """Every client's request at once: each waits at a barrier, then sends."""
    barrier = threading.Barrier(len(clients))

    def one(index: int) -> httpx.Response:
        barrier.wait()
        return send(clients[index], index)  # type: ignore[operator]

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(one, range(len(clients))))


def test_writers_racing_with_one_if_match_get_one_200_and_409s(admin: Admin) -> None:
    clients = [admin.client() for _ in range(WRITERS)]
    tally: Counter[int] = Counter()
    lost = 0
    try:
        for round_ in range(ROUNDS):
            version = clients[0].get(ITEM).headers["etag"]

            def patch(
                client: httpx.Client, writer: int, round_: int = round_, version: str = version
            ) -> httpx.Response:
                change = {"status_code": 2 + writer % 2, "description": f"r{round_} w{writer}"}
                return client.patch(ITEM, json=change, headers={"If-Match": version})

            answers = _race(clients, patch)
            tally.update(answer.status_code for answer in answers)
            acknowledged = [
                f"r{round_} w{w}" for w, a in enumerate(answers) if a.status_code == 200
            ]
            final = clients[0].get(ITEM).json()["override"]["description"]
            lost += sum(1 for written in acknowledged if written != final)
            for answer in answers:
                if answer.status_code != 200:
                    assert answer.status_code == 409, answer.text
                    assert answer.headers["content-type"] == "application/problem+json"
    finally:
        clients[0].delete(ITEM + "/override")
        for client in clients:
            client.close()
    figures = f"{ROUNDS} rounds x {WRITERS} writers: {dict(tally)}, {lost} acknowledged lost"
    assert tally == Counter({200: ROUNDS, 409: ROUNDS * (WRITERS - 1)}), figures
    assert lost == 0, figures


def test_removers_racing_with_one_if_match_get_one_200_and_409s(admin: Admin) -> None:
    clients = [admin.client() for _ in range(WRITERS)]
    tally: Counter[int] = Counter()
    try:
        for _ in range(ROUNDS // 5):  # fewer: each round also sets the override it clears
            set_ = clients[0].patch(ITEM, json={"status_code": 3, "description": "to clear"})
            version = set_.headers["etag"]

            def remove(client: httpx.Client, writer: int, version: str = version) -> httpx.Response:
                return client.delete(ITEM + "/override", headers={"If-Match": version})

            tally.update(answer.status_code for answer in _race(clients, remove))
            assert clients[0].get(ITEM).json()["override"] is None
    finally:
        for client in clients:
            client.close()
    rounds = ROUNDS // 5
    assert tally == Counter({200: rounds, 409: rounds * (WRITERS - 1)}), dict(tally)
