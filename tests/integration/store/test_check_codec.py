"""The check codec: every kind of definition, and schedules, read back exactly as written."""

from __future__ import annotations

import json

import pytest

from status_dashboard.domain.checks import (
    CheckDefinition,
    CheckSchedule,
    HttpCheck,
    PushCheck,
    StatusRange,
    TcpCheck,
    TlsCheck,
)
from status_dashboard.store.check_codec import (
    decode_definition,
    definition_of,
    definition_text,
    encode_definition,
    schedule_of,
    schedule_text,
)

DEFINITIONS: list[CheckDefinition] = [
    HttpCheck("https://idp.example.org/health"),
    HttpCheck(
        "https://sts.example.org/status",
        method="POST",
        headers={"Authorization": "Bearer secret", "X-Probe": "yes"},
        expect_status=(StatusRange(200, 299), 301, StatusRange(418, 418)),
        body_contains="UP",
        body_matches=r"version \d+",
        json_condition='$.status == "UP"',
        max_response_ms=800,
        max_redirects=0,
        verify_tls=False,
    ),
    TcpCheck("db.internal", 5432),
    TlsCheck("10.0.0.7", 8443, min_days_valid=30, server_name="api.example.org"),
    TlsCheck("api.example.org"),
    PushCheck("a" * 32),
]


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.kind)
def test_each_kind_of_definition_reads_back_as_written(definition: CheckDefinition) -> None:
    assert definition_of(definition_text(definition)) == definition


@pytest.mark.parametrize(
    "schedule",
    [CheckSchedule(), CheckSchedule(30.0, 5.0, 3, 2, 120.0), CheckSchedule(interval_s=1.5)],
)
def test_a_schedule_reads_back_as_written(schedule: CheckSchedule) -> None:
    assert schedule_of(schedule_text(schedule)) == schedule


def test_definitions_are_tagged_with_their_kind_and_ranges_written_with_both_ends() -> None:
    encoded = encode_definition(
        HttpCheck("https://x.example", expect_status=(StatusRange(200, 200), 204))
    )

    assert encoded["kind"] == "http"
    assert encoded["expect_status"] == ["200-200", 204]
    assert json.loads(json.dumps(encoded)) == encoded


@pytest.mark.parametrize(
    "encoded",
    [
        {"kind": "smtp", "host": "mail"},
        {"kind": "tcp", "host": "db", "port": 1, "colour": "red"},
        {"host": "db", "port": 1},
        {"kind": "http", "url": "https://x.example", "expect_status": ["two hundred"]},
    ],
)
def test_what_the_codec_does_not_know_is_refused(encoded: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"unknown|not a status"):
        decode_definition(encoded)
