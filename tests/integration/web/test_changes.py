"""What the UI lets each role change, and what a forged form cannot."""

from __future__ import annotations

import httpx

from integration.web.conftest import ITEM_ID, ItemForm, audit_count, csrf_of, version_of
from integration.web.ui_server import UiServer

from support.server import CONFORMING_AGENT


def public_item(server: UiServer) -> dict[str, object]:
    answer = httpx.get(
        f"{server.url}/api/v1/dashboard", headers={"User-Agent": CONFORMING_AGENT}, timeout=5.0
    )
    for group in answer.json()["groups"]:
        for item in group["items"]:
            if item["id"] == ITEM_ID:
                found: dict[str, object] = item
                return found
    raise AssertionError("item not on the public dashboard")


def clear(client: httpx.Client) -> None:
    board = client.get("/admin/env/prod").text
    if f"/items/{ITEM_ID}/clear" in board:
        data = {"csrf_token": csrf_of(board), "version": version_of(board, ITEM_ID)}
        client.post(f"/admin/env/prod/items/{ITEM_ID}/clear", data=data)


def test_an_operator_sets_and_clears_an_override_from_the_board(
    server: UiServer, operator: httpx.Client, item_form: ItemForm
) -> None:
    answer = operator.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=item_form(operator))
    assert answer.status_code == 303
    assert public_item(server)["status_code"] == 2
    board = operator.get(answer.headers["location"]).text
    assert "set to Disrupted" in board
    clear(operator)
    assert public_item(server)["status_code"] == 1


def test_a_forged_csrf_token_is_refused_and_nothing_is_written(
    server: UiServer, operator: httpx.Client, item_form: ItemForm
) -> None:
    before = audit_count(server)
    data = {**item_form(operator), "csrf_token": "forged-token-of-another-session"}
    answer = operator.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=data)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert audit_count(server) == before
    assert public_item(server)["status_code"] == 1


def test_a_missing_csrf_token_is_refused(
    server: UiServer, operator: httpx.Client, item_form: ItemForm
) -> None:
    before = audit_count(server)
    data = {k: v for k, v in item_form(operator).items() if k != "csrf_token"}
    answer = operator.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=data)
    assert answer.status_code == 403
    assert audit_count(server) == before


def test_a_form_posted_from_another_origin_is_refused(
    server: UiServer, operator: httpx.Client, item_form: ItemForm
) -> None:
    before = audit_count(server)
    answer = operator.post(
        f"/admin/env/prod/items/{ITEM_ID}/override",
        data=item_form(operator),
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert audit_count(server) == before


def test_a_viewer_sees_the_board_but_cannot_change_it(
    server: UiServer, viewer: httpx.Client, operator: httpx.Client, item_form: ItemForm
) -> None:
    board = viewer.get("/admin/env/prod")
    assert board.status_code == 200
    assert "/override" not in board.text
    before = audit_count(server)
    # The viewer's page has no form, so take one as the operator's board would have it.
    data = {**item_form(operator), "csrf_token": csrf_of(board.text)}
    answer = viewer.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=data)
    assert answer.status_code == 403
    assert audit_count(server) == before


def test_a_stale_version_gets_409_with_the_current_values(
    server: UiServer, operator: httpx.Client, item_form: ItemForm
) -> None:
    stale = item_form(operator)
    first = operator.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=item_form(operator))
    assert first.status_code == 303
    second = operator.post(
        f"/admin/env/prod/items/{ITEM_ID}/override",
        data={**stale, "status_code": "3", "description": "Second opinion"},
    )
    assert second.status_code == 409
    assert "Someone else changed this item" in second.text
    assert "Planned test of the board" in second.text  # the current description
    assert public_item(server)["status_code"] == 2
    clear(operator)


def test_a_bad_expiry_is_shown_next_to_its_field(
    server: UiServer, operator: httpx.Client, item_form: ItemForm
) -> None:
    data = {**item_form(operator), "expires_at": "2001-01-01T10:00"}
    answer = operator.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=data)
    assert answer.status_code == 400
    assert f'id="er-ex-{ITEM_ID}">must be in the future' in answer.text
    assert public_item(server)["status_code"] == 1
