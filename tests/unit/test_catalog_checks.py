"""An item's `checks:` in a catalog file: every field read into the domain's definitions, and
every mistake reported at its line, column and field path (docs/catalog.md, "Checks")."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from status_dashboard.domain.catalog import CheckSpec, ItemSpec
from status_dashboard.domain.checks import (
    CheckSchedule,
    HttpCheck,
    PushCheck,
    StatusRange,
    TcpCheck,
    TlsCheck,
)
from status_dashboard.service.catalog import CatalogInvalid, CatalogProblem, parse_catalog

CHECKS = "environments.prod.groups.iam.items.idp.checks"
_HEAD = (
    "environments:\n  prod:\n    groups:\n      iam:\n        name: IAM\n        items:\n"
    "          idp:\n            name: IDP\n            checks:\n"
)
TOKEN = "a-push-token-0123456789"


def checks_with(*lines: str) -> str:
    """Item idp's checks, one line each from line 10, indented so that a check's first field
    is at column 17 (`- ` at column 15)."""
    return _HEAD + "".join(f"              {line}\n" for line in lines)


def items_of(text: str) -> tuple[ItemSpec, ...]:
    spec = parse_catalog(text, "catalogs/x.yaml")
    return spec.environments[0].groups[0].items


def checks_of(text: str) -> tuple[CheckSpec, ...] | None:
    return items_of(text)[0].checks


def problems_of(text: str) -> tuple[CatalogProblem, ...]:
    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(text, "catalogs/x.yaml")
    return caught.value.problems


# -- what the file says ------------------------------------------------------------------------


def test_an_http_check_with_every_field_becomes_its_definition_and_schedule() -> None:
    text = checks_with(
        "- key: health",
        "  type: http",
        "  url: https://idp.example.org/health",
        "  method: POST",
        "  headers: {Authorization: Bearer s3cret, X-Trace: '1'}",
        '  expect_status: "200-299, 301"',
        "  body_contains: UP",
        '  body_matches: \'"status":\\s*"UP"\'',
        "  json_condition: '$.status == \"UP\"'",
        "  max_response_ms: 800",
        "  max_redirects: 0",
        "  verify_tls: false",
        "  interval: 30",
        "  timeout: 2.5",
        "  fail_threshold: 3",
        "  recover_threshold: 2",
        "  stale_after: 120",
    )

    assert checks_of(text) == (
        (
            "health",
            HttpCheck(
                url="https://idp.example.org/health",
                method="POST",
                headers={"Authorization": "Bearer s3cret", "X-Trace": "1"},
                expect_status=(StatusRange(200, 299), 301),
                body_contains="UP",
                body_matches='"status":\\s*"UP"',
                json_condition='$.status == "UP"',
                max_response_ms=800,
                max_redirects=0,
                verify_tls=False,
            ),
            CheckSchedule(
                interval_s=30, timeout_s=2.5, fail_threshold=3, recover_threshold=2,
                stale_after_s=120,
            ),
        ),
    )  # fmt: skip


def test_tcp_tls_and_push_checks_take_their_own_fields() -> None:
    text = checks_with(
        "- {key: port, type: tcp, host: 127.0.0.1, port: 8025}",
        "- {key: cert, type: tls, host: 10.0.0.5, port: 8443, min_days_valid: 30,"
        " server_name: idp.example.org}",
        f"- {{key: beat, type: push, token: {TOKEN}}}",
    )

    assert checks_of(text) == (
        ("port", TcpCheck("127.0.0.1", 8025), CheckSchedule()),
        ("cert", TlsCheck("10.0.0.5", 8443, 30, "idp.example.org"), CheckSchedule()),
        ("beat", PushCheck(TOKEN), CheckSchedule()),
    )


def test_what_a_check_leaves_out_takes_its_default() -> None:
    (check,) = checks_of(checks_with("- {key: web, type: http, url: 'http://x.example/'}")) or ()

    assert check == ("web", HttpCheck("http://x.example/"), CheckSchedule())


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        pytest.param('"200"', (200,), id="one code as text"),
        pytest.param("204", (204,), id="one code as a number"),
        pytest.param("[200, 204]", (200, 204), id="a list of codes"),
        pytest.param('[200, "300-303"]', (200, StatusRange(300, 303)), id="codes and ranges"),
        pytest.param('"200-299,404"', (StatusRange(200, 299), 404), id="text without spaces"),
    ],
)
def test_expected_statuses_are_written_as_text_a_code_or_a_list(
    written: str, expected: tuple[object, ...]
) -> None:
    text = checks_with(
        f"- {{key: web, type: http, url: 'http://x.example/', expect_status: {written}}}"
    )

    (check,) = checks_of(text) or ()

    definition = check[1]
    assert isinstance(definition, HttpCheck)
    assert definition.expect_status == expected


def test_an_empty_list_says_the_item_has_no_checks() -> None:
    assert checks_of(_HEAD.replace("checks:\n", "checks: []\n")) == ()


@pytest.mark.parametrize(
    "written", ["checks:\n", "checks: ~\n", ""], ids=["empty", "null", "left out"]
)
def test_no_checks_value_leaves_the_item_checks_as_they_are(written: str) -> None:
    assert checks_of(_HEAD.replace("checks:\n", written)) is None


def test_an_anchored_list_of_checks_serves_several_items() -> None:
    text = textwrap.dedent(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items:
                  idp:
                    name: IDP
                    checks: &web
                      - {key: web, type: http, url: "http://x.example/"}
                  sts:
                    name: STS
                    checks: *web
        """
    )

    idp, sts = items_of(text)

    assert idp.checks == sts.checks
    assert idp.checks is not None
    assert [key for key, _, _ in idp.checks] == ["web"]


# -- what is wrong, and where ------------------------------------------------------------------

HTTP = ("- key: web", "  type: http", "  url: 'http://x.example/'")
"""The first three lines of a valid HTTP check; a case's own line follows on line 13."""


def http_with(*lines: str) -> str:
    return checks_with(*HTTP, *(f"  {line}" for line in lines))


CASES = [
    # --- the list and its entries
    pytest.param(
        _HEAD.replace("checks:\n", "checks: web\n"), 9, "web", CHECKS,
        "must be a list of checks, not the text 'web'", id="checks as text",
    ),
    pytest.param(
        checks_with("- 5"), 10, "5", f"{CHECKS}[0]", "a check must be a mapping of fields",
        id="a check as a number",
    ),
    pytest.param(
        checks_with("- key: web"), 10, "key: web", f"{CHECKS}[0].type",
        "is required: one of http, tcp, tls, push", id="no type",
    ),
    pytest.param(
        checks_with("- {key: web, type: gopher}"), 10, "gopher", f"{CHECKS}[0].type",
        "must be one of http, tcp, tls, push, not the text 'gopher'", id="unknown type",
    ),
    pytest.param(
        checks_with("- {key: web, type: [http]}"), 10, "[http]", f"{CHECKS}[0].type",
        "must be one of http, tcp, tls, push, not", id="type as a list",
    ),
    pytest.param(
        checks_with("- {key: web, type: {http: 1}}"), 10, "{http: 1}", f"{CHECKS}[0].type",
        "must be one of http, tcp, tls, push, not", id="type as a mapping",
    ),
    pytest.param(
        checks_with("- {type: tcp, host: h, port: 1}"), 10, "{", f"{CHECKS}[0].key", "is required",
        id="no key",
    ),
    pytest.param(
        checks_with("- {key: Web, type: tcp, host: h, port: 1}"), 10, "Web", f"{CHECKS}[0].key",
        "'Web' is not a valid check key", id="key in capitals",
    ),
    pytest.param(
        checks_with("- {key: 1, type: tcp, host: h, port: 1}"), 10, "1", f"{CHECKS}[0].key",
        "must be text, not the number 1", id="key a number",
    ),
    pytest.param(
        checks_with(
            "- {key: a, type: tcp, host: h, port: 1}", "- {key: a, type: tcp, host: h, port: 2}"
        ),
        11, "a", f"{CHECKS}[1].key", "check key 'a' is used twice", id="key used twice",
    ),
    pytest.param(
        checks_with("- {key: a, type: tcp, host: h, port: 1, url: 'http://h/'}"),
        10, "url: 'http://h/'",
        f"{CHECKS}[0].url", "unknown field 'url'; expected key, type, host, port, interval",
        id="a field of another type",
    ),
    # --- required fields
    pytest.param(
        checks_with("- {key: a, type: http}"), 10, "{", f"{CHECKS}[0].url",
        "is required for a http check", id="http without url",
    ),
    pytest.param(
        checks_with("- {key: a, type: tcp, host: h}"), 10, "{", f"{CHECKS}[0].port",
        "is required for a tcp check", id="tcp without port",
    ),
    pytest.param(
        checks_with("- {key: a, type: tls}"), 10, "{", f"{CHECKS}[0].host",
        "is required for a tls check", id="tls without host",
    ),
    pytest.param(
        checks_with("- {key: a, type: push, token: }"), 10, "{", f"{CHECKS}[0].token",
        "is required for a push check", id="push with an empty token",
    ),
    # --- types of values
    pytest.param(
        checks_with("- {key: a, type: tcp, host: h, port: '80'}"), 10, "'80'", f"{CHECKS}[0].port",
        "must be a whole number, not the text '80'", id="port as text",
    ),
    pytest.param(
        checks_with("- {key: a, type: tcp, host: h, port: 1.5}"), 10, "1.5", f"{CHECKS}[0].port",
        "must be a whole number, not the number 1.5", id="port a fraction",
    ),
    pytest.param(
        checks_with("- {key: a, type: tcp, host: h, port: true}"), 10, "true", f"{CHECKS}[0].port",
        "must be a whole number, not true/false", id="port a boolean",
    ),
    pytest.param(
        checks_with("- {key: a, type: tcp, host: 8.8, port: 53}"), 10, "8.8", f"{CHECKS}[0].host",
        "must be text, not the number 8.8", id="host read as a number",
    ),
    pytest.param(
        http_with("interval: 10s"), 13, "10s", f"{CHECKS}[0].interval",
        "must be a number of seconds, not the text '10s'", id="interval with a unit",
    ),
    pytest.param(
        http_with("timeout: .inf"), 13, ".inf", f"{CHECKS}[0].timeout",
        "must be a number of seconds", id="infinite timeout",
    ),
    pytest.param(
        http_with("verify_tls: no"), 13, "no", f"{CHECKS}[0].verify_tls",
        "must be true or false, not the text 'no'", id="verify_tls no",
    ),
    pytest.param(
        http_with("headers: [Authorization]"), 13, "[", f"{CHECKS}[0].headers",
        "must be a mapping of header names to values, not a list", id="headers as a list",
    ),
    pytest.param(
        http_with("headers: {X-Count: 5}"), 13, "5", f"{CHECKS}[0].headers.X-Count",
        "must be text, not the number 5", id="header value a number",
    ),
    pytest.param(
        http_with("expect_status: {ok: 200}"), 13, "{", f"{CHECKS}[0].expect_status",
        "must be status codes such as '200-299, 301', not a mapping", id="statuses as a mapping",
    ),
    pytest.param(
        http_with("expect_status: [200, true]"), 13, "true", f"{CHECKS}[0].expect_status[1]",
        "must be a status code or range, not true/false", id="a boolean among the statuses",
    ),
    # --- what the values mean (the domain's judgement, placed at the field)
    pytest.param(
        checks_with("- {key: a, type: tcp, host: h, port: 70000}"),
        10, "70000", f"{CHECKS}[0].port",
        "must be from 1 to 65535", id="port too high",
    ),
    pytest.param(
        checks_with("- {key: a, type: tcp, host: 'exa mple', port: 1}"), 10, "'exa mple'",
        f"{CHECKS}[0].host", "'exa mple' is not a host name or address", id="host with a space",
    ),
    pytest.param(
        http_with("interval: 0.5"), 13, "0.5", f"{CHECKS}[0].interval", "must be at least 1 second",
        id="interval under a second",
    ),
    pytest.param(
        http_with("interval: 1000000"), 13, "1000000", f"{CHECKS}[0].interval", "at most 604,800",
        id="interval over a week",
    ),
    pytest.param(
        http_with("interval: 10", "timeout: 30"), 14, "30", f"{CHECKS}[0].timeout",
        "must be more than 0 and less than interval", id="timeout longer than the interval",
    ),
    pytest.param(
        http_with("interval: 10"), 10, "key: web", f"{CHECKS}[0].timeout",
        "must be more than 0 and less than interval", id="default timeout not under interval",
    ),
    pytest.param(
        http_with("interval: 10", "timeout: 3", "stale_after: 5"), 15, "5",
        f"{CHECKS}[0].stale_after", "must be at least interval", id="stale before an interval",
    ),
    pytest.param(
        http_with("fail_threshold: 0"), 13, "0", f"{CHECKS}[0].fail_threshold",
        "must be at least 1", id="fail threshold zero",
    ),
    pytest.param(
        http_with("recover_threshold: 0"), 13, "0", f"{CHECKS}[0].recover_threshold",
        "must be at least 1", id="recover threshold zero",
    ),
    pytest.param(
        checks_with("- {key: a, type: http, url: 'ftp://x.example/'}"), 10, "'ftp://x.example/'",
        f"{CHECKS}[0].url", "must start with http:// or https://", id="url not http",
    ),
    pytest.param(
        http_with("method: get"), 13, "get", f"{CHECKS}[0].method", "must be one of DELETE, GET",
        id="method in lowercase",
    ),
    pytest.param(
        http_with("method: HEAD", "body_contains: UP"), 13, "HEAD", f"{CHECKS}[0].method",
        "a HEAD answer has no body to check", id="HEAD with a body check",
    ),
    pytest.param(
        http_with("headers: {Bad Name: x}"), 13, "{", f"{CHECKS}[0].headers",
        "'Bad Name' is not a header name", id="header name with a space",
    ),
    pytest.param(
        http_with("expect_status: 200-2x9"), 13, "200-2x9", f"{CHECKS}[0].expect_status",
        "'200-2x9' is not a status code or range", id="status range misspelt",
    ),
    pytest.param(
        http_with("expect_status: 700"), 13, "700", f"{CHECKS}[0].expect_status",
        "'700' is not within 100-599", id="status out of range",
    ),
    pytest.param(
        http_with("expect_status: []"), 13, "[", f"{CHECKS}[0].expect_status",
        "must name at least one status code", id="no statuses",
    ),
    pytest.param(
        http_with("body_contains: ''"), 13, "''", f"{CHECKS}[0].body_contains", "must not be empty",
        id="empty body_contains",
    ),
    pytest.param(
        http_with("body_matches: '('"), 13, "'('", f"{CHECKS}[0].body_matches",
        "not a regular expression", id="body_matches not a regex",
    ),
    pytest.param(
        http_with("body_matches: '(a)\\1'"), 13, "'(a)", f"{CHECKS}[0].body_matches",
        "not a regular expression RE2 accepts: invalid escape sequence", id="backreference",
    ),
    pytest.param(
        http_with("body_matches: '(?<=v)1'"), 13, "'(?<=", f"{CHECKS}[0].body_matches",
        "not a regular expression RE2 accepts: invalid perl operator", id="lookbehind",
    ),
    pytest.param(
        http_with("json_condition: 'status == \"UP\"'"),
        13, "'status", f"{CHECKS}[0].json_condition",
        "must start with a JSON path", id="condition without a path",
    ),
    pytest.param(
        http_with("json_condition: '$.a.'"), 13, "'$.a.'", f"{CHECKS}[0].json_condition",
        "invalid JSON path: expected a shorthand selector", id="condition with a broken path",
    ),
    pytest.param(
        http_with("max_response_ms: 0"), 13, "0", f"{CHECKS}[0].max_response_ms",
        "must be more than 0", id="max_response_ms zero",
    ),
    pytest.param(
        http_with("max_redirects: 21"), 13, "21", f"{CHECKS}[0].max_redirects", "from 0 to 20",
        id="too many redirects",
    ),
    pytest.param(
        checks_with("- {key: a, type: tls, host: h, min_days_valid: -1}"), 10, "-1",
        f"{CHECKS}[0].min_days_valid", "must be 0 or more", id="negative days",
    ),
    pytest.param(
        checks_with("- {key: a, type: tls, host: h, min_days_valid: 5000}"), 10, "5000",
        f"{CHECKS}[0].min_days_valid", "must be at most 3650", id="ten thousand days",
    ),
    pytest.param(
        checks_with("- {key: a, type: tls, host: h, server_name: 'a b'}"), 10, "'a b'",
        f"{CHECKS}[0].server_name", "'a b' is not a host name", id="server name with a space",
    ),
    pytest.param(
        checks_with("- {key: a, type: push, token: short}"), 10, "short", f"{CHECKS}[0].token",
        "must be 16 to 128 letters", id="token too short",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "at", "path", "fragment"), CASES)
def test_each_mistake_in_a_check_is_one_problem_at_its_place_and_field(
    text: str, line: int, at: str, path: str, fragment: str
) -> None:
    """`at` is the text the problem points at: its column is where `at` starts on `line`."""
    column = text.splitlines()[line - 1].index(at) + 1

    (problem,) = problems_of(text)

    assert (problem.line, problem.column, problem.field) == (line, column, path)
    assert fragment in problem.message
    assert "\n" not in problem.message


def test_a_push_token_is_unique_in_the_whole_file() -> None:
    text = textwrap.dedent(
        f"""\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items:
                  idp:
                    name: IDP
                    checks: [{{key: beat, type: push, token: {TOKEN}}}]
          acc:
            groups:
              iam:
                name: IAM
                items:
                  idp:
                    name: IDP
                    checks: [{{key: beat, type: push, token: {TOKEN}}}]
        """
    )

    (problem,) = problems_of(text)

    assert (problem.line, problem.field) == (
        17,
        "environments.acc.groups.iam.items.idp.checks[0].token",
    )
    assert f"already the push token of {CHECKS}[0]" in problem.message
    assert TOKEN not in str(problem)


def test_every_check_of_a_file_reports_its_problems_in_one_pass() -> None:
    text = checks_with(
        "- {key: a, type: tcp, host: h, port: x}",
        "- {key: b, type: http, url: 'ftp://x/'}",
        "- {key: c, type: nope}",
    )

    problems = problems_of(text)

    assert [(p.line, p.field) for p in problems] == [
        (10, f"{CHECKS}[0].port"),
        (11, f"{CHECKS}[1].url"),
        (12, f"{CHECKS}[2].type"),
    ]


def test_a_problem_in_an_aliased_check_is_reported_where_its_anchor_is() -> None:
    text = textwrap.dedent(
        """\
        environments:
          prod:
            groups:
              iam:
                name: IAM
                items:
                  idp:
                    name: IDP
                    checks: [&web {key: web, type: http, url: "ftp://x/"}]
                  sts:
                    name: STS
                    checks: [*web]
        """
    )

    problems = problems_of(text)

    assert [(p.line, p.field) for p in problems] == [
        (9, f"{CHECKS}[0].url"),
        (9, "environments.prod.groups.iam.items.sts.checks[0].url"),
    ]


def test_the_checks_example_in_the_docs_parses() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "catalog.md"
    section = docs.read_text(encoding="utf-8").split("## Checks", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    head = "environments:\n  prod:\n    groups:\n      iam:\n        name: IAM\n        items:\n"

    (item,) = items_of(head + example)

    assert item.checks is not None
    assert [(key, d.kind) for key, d, _ in item.checks] == [
        ("health", "http"),
        ("port", "tcp"),
        ("certificate", "tls"),
        ("heartbeat", "push"),
    ]
