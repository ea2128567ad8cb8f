from __future__ import annotations

import pytest

from status_dashboard.api.problems import InputIssue, Problem


def test_a_not_found_problem_has_the_belgif_form() -> None:
    document = Problem(404, "No dashboard for environment 'xyz'").document("abc")
    assert document == {
        "type": "urn:problem-type:belgif:resourceNotFound",
        "href": "https://www.belgif.be/specification/rest/api-guide/problems/resourceNotFound.html",
        "title": "Not Found",
        "status": 404,
        "detail": "No dashboard for environment 'xyz'",
        "instance": "urn:uuid:abc",
    }


def test_a_server_error_shows_only_its_instance() -> None:
    document = Problem(500, "KeyError: secret table name").document("id-1")
    assert "detail" not in document
    assert document["instance"] == "urn:uuid:id-1"
    assert document["type"] == "urn:problem-type:belgif:internalServerError"


def test_a_bad_request_names_each_bad_field() -> None:
    issue = InputIssue(
        "header", "User-Agent", "must be product/version connector/version", "curl/8"
    )
    (entry,) = Problem(400, "bad", issues=(issue,)).document("x")["issues"]
    assert (entry["in"], entry["name"], entry["value"]) == ("header", "User-Agent", "curl/8")


@pytest.mark.parametrize(("status", "kind"), [(405, "about:blank"), (406, "about:blank")])
def test_statuses_the_guide_does_not_name_use_about_blank(status: int, kind: str) -> None:
    document = Problem(status).document("x")
    assert document["type"] == kind
    assert "href" not in document


def test_trace_ids_are_distinct_version_4_uuids() -> None:
    import uuid

    from status_dashboard.api.tracing import new_trace_id

    ids = {new_trace_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, value)
