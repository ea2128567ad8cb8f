from __future__ import annotations

from status_dashboard.domain import ids


def test_group_ids_look_like_the_cookbooks() -> None:
    assert ids.GROUP_ID_PATTERN.match(ids.group_id("prod", "iam"))
    assert ids.GROUP_ID_PATTERN.match("AXAQooF-9v9nOdhekPYm")


def test_item_ids_look_like_the_cookbooks() -> None:
    assert ids.ITEM_ID_PATTERN.match(ids.item_id("prod", "idp-authorization"))
    assert ids.ITEM_ID_PATTERN.match("715d31b5a498a4587fedc57dada6a9df")


def test_ids_are_the_same_every_time_for_the_same_keys() -> None:
    assert ids.item_id("prod", "sts") == ids.item_id("prod", "sts")
    assert ids.group_id("acc", "iam") == ids.group_id("acc", "iam")


def test_ids_differ_between_environments_and_keys() -> None:
    assert ids.item_id("prod", "sts") != ids.item_id("acc", "sts")
    assert ids.item_id("prod", "sts") != ids.item_id("prod", "sts2")
    assert ids.group_id("prod", "iam") != ids.group_id("int", "iam")
