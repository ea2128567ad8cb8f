"""The route and method labels of the request metrics: a fixed set, whatever the path."""

from __future__ import annotations

import pytest

from status_dashboard.api.measure import method_label, route_of
from status_dashboard.service.metrics import ROUTES

ROUTE_OF_PATH = [
    ("/api/v1/dashboard", "dashboard"),
    ("/api/v1/dashboard/prod", "dashboard"),
    ("/api/v1/dashboard/nowhere", "dashboard"),
    ("/api/v1/dashboard/prod/extra", "dashboard"),
    ("/api/v1/dashboardX", "dashboard"),
    ("/api/v1/dashboard/stream", "stream"),
    ("/api/v1/dashboard/acc/stream", "stream"),
    ("/api/v1/push/abc123", "push"),
    ("/health", "health"),
    ("/healthz", "page"),
    ("/health/deep", "other"),
    ("/admin", "admin"),
    ("/admin/login", "admin"),
    ("/admin/env/prod/items/0123", "admin"),
    ("/api/admin/v1/tokens", "admin"),
    ("/administrator", "page"),
    ("/feeds/prod.atom", "feed"),
    ("/badges/prod.svg", "badge"),
    ("/badges/items/0123456789abcdef0123456789abcdef.svg", "badge"),
    ("/", "page"),
    ("/history", "page"),
    ("/items/0123456789abcdef0123456789abcdef", "page"),
    ("/static/status.1a2b3c.css", "page"),
    ("/acc", "page"),
    ("/acc/history", "page"),
    ("/acc/items", "other"),
    ("/items", "other"),
    ("/static/", "other"),
    ("/metrics", "other"),
    ("/api/v1", "other"),
    ("/api/v1/openapi.json", "other"),
    ("/robots.txt", "other"),
    ("/Upper", "other"),
    ("//double", "other"),
    ("/" + "x" * 300, "other"),
]


@pytest.mark.parametrize(("path", "route"), ROUTE_OF_PATH)
def test_each_path_is_labelled_with_the_part_that_answers_it(path: str, route: str) -> None:
    assert route_of(path) == route


def test_every_route_label_is_one_of_the_fixed_set() -> None:
    assert {route for _, route in ROUTE_OF_PATH} == set(ROUTES)


METHOD_LABELS = [
    ("GET", "GET"),
    ("HEAD", "HEAD"),
    ("POST", "POST"),
    ("PUT", "PUT"),
    ("PATCH", "PATCH"),
    ("DELETE", "DELETE"),
    ("OPTIONS", "OPTIONS"),
    ("TRACE", "other"),
    ("PROPFIND", "other"),
    ("get", "other"),
    ("X" * 100, "other"),
]


@pytest.mark.parametrize(("method", "label"), METHOD_LABELS)
def test_methods_beyond_the_usual_ones_share_one_label(method: str, label: str) -> None:
    assert method_label(method) == label
