from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import brotli
import orjson

from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS, Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.snapshot import DashboardSnapshot, render_dashboard

ZONE = ZoneInfo("Europe/Brussels")
BUILT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CHANGED = datetime(2025, 5, 9, 6, 55, 0, 900000, tzinfo=UTC)


def _env(description: str = "Slow") -> Environment:
    item = Item(
        id="715d31b5a498a4587fedc57dada6a9df",
        key="idp",
        name="eHealth IDP",
        order=1,
        status_code=StatusCode.DISRUPTED,
        last_updated=CHANGED,
        description=description,
    )
    group = Group(id="AXAQooF-9v9nOdhekPYm", key="iam", name="1. IAM", order=1, items=(item,))
    return Environment(key="prod", name="Production", order=1, is_default=True, groups=(group,))


def test_every_coding_carries_the_same_document() -> None:
    rendered = render_dashboard(_env(), ZONE, 15, BUILT)
    document = orjson.loads(rendered.identity.body)
    assert orjson.loads(gzip.decompress(rendered.gzip.body)) == document
    assert orjson.loads(brotli.decompress(rendered.brotli.body)) == document
    assert document["groups"][0]["items"][0]["last_updated"] == "2025-05-09T08:55:00+02:00"


def test_each_coding_has_its_own_strong_etag_and_the_same_body_gives_the_same_etag() -> None:
    one = render_dashboard(_env(), ZONE, 15, BUILT)
    again = render_dashboard(_env(), ZONE, 15, datetime(2027, 1, 1, tzinfo=UTC))
    tags = {one.identity.etag, one.gzip.etag, one.brotli.etag}
    assert len(tags) == 3
    assert all(tag.startswith(b'"') and tag.endswith(b'"') for tag in tags)
    assert (again.identity.etag, again.gzip.etag) == (one.identity.etag, one.gzip.etag)
    assert again.gzip.body == one.gzip.body


def test_a_changed_description_changes_the_etag() -> None:
    assert (
        render_dashboard(_env("Slow"), ZONE, 15, BUILT).identity.etag
        != render_dashboard(_env("Down"), ZONE, 15, BUILT).identity.etag
    )


def test_last_modified_is_the_latest_change_at_second_precision() -> None:
    rendered = render_dashboard(_env(), ZONE, 15, BUILT)
    assert rendered.last_modified == CHANGED.replace(microsecond=0)
    headers = dict(rendered.identity.headers)
    assert headers[b"last-modified"] == b"Fri, 09 May 2025 06:55:00 GMT"
    assert headers[b"cache-control"] == b"public, max-age=15"
    assert headers[b"content-length"] == str(len(rendered.identity.body)).encode()
    assert dict(rendered.gzip.headers)[b"content-encoding"] == b"gzip"


def test_the_snapshot_serves_the_default_environment_without_a_key() -> None:
    snapshot = DashboardSnapshot()
    assert not snapshot.ready
    assert snapshot.lookup(None) is None
    environments = [_env(), *DEFAULT_ENVIRONMENTS[1:]]
    snapshot.replace(environments, 7, zone=ZONE, max_age=15, built_at=BUILT)
    assert snapshot.ready
    assert snapshot.revision == 7
    assert snapshot.lookup(None) is snapshot.lookup("prod")
    assert snapshot.lookup("acc") is not None
    assert snapshot.lookup("xyz") is None
    assert orjson.loads(snapshot.lookup("int").identity.body) == {"groups": []}  # type: ignore[union-attr]


def test_a_replacement_keeps_the_environments_that_did_not_change() -> None:
    acc = dataclasses.replace(_env("Slow"), key="acc", name="Acceptance", is_default=False)
    snapshot = DashboardSnapshot()
    snapshot.replace([_env("Slow"), acc], 1, zone=ZONE, max_age=15, built_at=BUILT)
    prod_before, acc_before = snapshot.lookup("prod"), snapshot.lookup("acc")
    later = datetime(2026, 1, 2, 3, 5, 0, tzinfo=UTC)
    snapshot.replace([_env("Down"), acc], 2, zone=ZONE, max_age=15, built_at=later)
    prod = snapshot.lookup("prod")
    assert prod is not None
    assert prod is not prod_before
    assert _description(prod.brotli.body) == "Down"
    assert snapshot.lookup(None) is prod
    assert snapshot.lookup("acc") is acc_before  # not rendered nor compressed again


def test_an_unchanged_environment_is_kept_only_when_its_whole_answer_is_the_same() -> None:
    first = render_dashboard(_env(), ZONE, 15, BUILT)
    assert render_dashboard(_env(), ZONE, 15, BUILT, first) is first
    assert render_dashboard(_env("Down"), ZONE, 15, BUILT, first) is not first
    assert (
        render_dashboard(_env(), ZONE, 30, BUILT, first).identity.headers != first.identity.headers
    )
    strict = dataclasses.replace(_env(), strict=True)
    assert render_dashboard(strict, ZONE, 15, BUILT, first).strict
    # An environment without items shows the build time as its last change.
    empty = dataclasses.replace(_env(), groups=())
    built = render_dashboard(empty, ZONE, 15, BUILT)
    later = datetime(2026, 1, 2, 3, 5, 0, tzinfo=UTC)
    assert render_dashboard(empty, ZONE, 15, later, built).last_modified == later


def _description(brotli_body: bytes) -> str:
    description: str = orjson.loads(brotli.decompress(brotli_body))["groups"][0]["items"][0][
        "description"
    ]
    return description
