"""The public pages' cache keeps what can still be served, within a budget of bytes."""

from __future__ import annotations

import os

from status_dashboard.web.public.encoding import Encoded, encode
from status_dashboard.web.public.responses import PageCache, encoded_size

KB = 1024


def page(size: int) -> Encoded:
    # Random bytes do not compress: every encoding is about `size` long.
    return encode(os.urandom(size))


def test_a_page_is_served_only_for_the_revision_and_minute_it_was_rendered_for() -> None:
    cache = PageCache()
    rendered = page(KB)
    cache.put(("overview", None, "en"), (7, 100), rendered)

    assert cache.get(("overview", None, "en"), (7, 100)) is rendered
    assert cache.get(("overview", None, "en"), (8, 100)) is None
    assert cache.get(("overview", None, "en"), (7, 101)) is None
    assert cache.get(("overview", None, "fr"), (7, 100)) is None


def test_a_newer_render_replaces_the_older_one_of_its_address_at_once() -> None:
    cache = PageCache()
    address = ("overview", None, "en")
    for revision in range(100):
        cache.put(address, (revision, 100), page(KB))

    assert len(cache) == 1
    newest = cache.get(address, (99, 100))
    assert newest is not None
    assert cache.size_bytes == encoded_size(newest)


def test_the_next_minute_replaces_the_last_one() -> None:
    cache = PageCache()
    address = ("history", None, None, "nl")
    cache.put(address, (3, 100), page(KB))
    later = page(KB)
    cache.put(address, (3, 101), later)

    assert len(cache) == 1
    assert cache.get(address, (3, 101)) is later


def test_a_render_that_finishes_after_a_newer_one_is_not_kept() -> None:
    cache = PageCache()
    address = ("overview", "acc", "fr")
    newer = page(KB)
    cache.put(address, (5, 101), newer)
    cache.put(address, (4, 101), page(KB))
    cache.put(address, (5, 100), page(KB))

    assert cache.get(address, (5, 101)) is newer
    assert cache.last_good(address) is newer


def test_the_last_good_page_outlives_its_revision_until_a_newer_one_comes() -> None:
    cache = PageCache()
    address = ("overview", None, "en")
    rendered = page(KB)
    cache.put(address, (1, 100), rendered)

    assert cache.get(address, (2, 105)) is None
    assert cache.last_good(address) is rendered


def test_the_pages_stay_within_the_byte_budget_the_least_recently_asked_for_going_first() -> None:
    one = encoded_size(page(100 * KB))
    cache = PageCache(max_bytes=int(3.5 * one))
    for name in ("a", "b", "c"):
        cache.put(name, (1, 100), page(100 * KB))
    assert cache.get("a", (1, 100)) is not None  # "b" is now the least recently asked for

    cache.put("d", (1, 100), page(100 * KB))

    assert cache.size_bytes <= int(3.5 * one)
    assert len(cache) == 3
    assert cache.last_good("b") is None
    assert all(cache.last_good(name) is not None for name in ("a", "c", "d"))


def test_many_addresses_never_hold_more_than_the_budget() -> None:
    budget = 2 * 1024 * KB
    cache = PageCache(max_bytes=budget)
    for number in range(200):
        cache.put(("item", f"item-{number}", None, "en"), (1, 100), page(50 * KB))

        assert cache.size_bytes <= budget
    assert 0 < len(cache) < 200


def test_a_page_larger_than_the_budget_is_not_kept_and_drops_the_older_copy() -> None:
    cache = PageCache(max_bytes=10 * KB)
    cache.put("a", (1, 100), page(KB))
    cache.put("a", (2, 100), page(20 * KB))

    assert len(cache) == 0
    assert cache.size_bytes == 0
