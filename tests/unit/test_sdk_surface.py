"""The SDK's public surface: exactly the names it promises, one exception tree as drawn, and
no module of the package beyond its own."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import httpx
import pytest

import status_dashboard.sdk as sdk
from status_dashboard.sdk import (
    HTTPStatusError,
    InvalidUserAgent,
    NotAcceptable,
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    StatusClient,
    StatusDashboardError,
    Timeout,
    TransportError,
    UserAgent,
)

SDK_DIR = Path(sdk.__file__).parent

PUBLIC = {
    "DEFAULT_BASE_URL",
    "AsyncStatusClient",
    "Change",
    "ChangeKind",
    "Dashboard",
    "Group",
    "HTTPStatusError",
    "InvalidUserAgent",
    "Item",
    "NotAcceptable",
    "NotFound",
    "ProtocolError",
    "RateLimited",
    "ServerError",
    "ServiceUnavailable",
    "StatusClient",
    "StatusCode",
    "StatusDashboardError",
    "Timeout",
    "TransportError",
    "UserAgent",
    "__version__",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(sdk.__all__) == PUBLIC
    assert len(sdk.__all__) == len(PUBLIC)
    for name in sdk.__all__:
        assert hasattr(sdk, name), name


def test_every_public_class_belongs_to_the_sdk_and_every_module_behind_it_is_private() -> None:
    for name in sdk.__all__:
        value = getattr(sdk, name)
        if inspect.isclass(value):
            assert value.__module__.startswith("status_dashboard.sdk._"), name
    modules = [p.name for p in SDK_DIR.glob("*.py") if p.name != "__init__.py"]
    assert modules
    assert all(m.startswith("_") for m in modules)


@pytest.mark.parametrize(
    ("error", "parent"),
    [
        (InvalidUserAgent, StatusDashboardError),
        (InvalidUserAgent, ValueError),
        (TransportError, StatusDashboardError),
        (Timeout, TransportError),
        (ProtocolError, StatusDashboardError),
        (HTTPStatusError, StatusDashboardError),
        (NotFound, HTTPStatusError),
        (NotAcceptable, HTTPStatusError),
        (RateLimited, HTTPStatusError),
        (ServiceUnavailable, HTTPStatusError),
        (ServerError, HTTPStatusError),
    ],
)
def test_the_exception_tree_is_as_drawn(error: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(error, parent)
    assert error.__name__ in sdk.__doc__  # type: ignore[operator]


def test_the_drawn_tree_nests_each_error_under_its_nearest_public_parent() -> None:
    """The tree in the package docstring, read back by the column each name starts at."""
    drawn: dict[str, str] = {}
    parents: list[tuple[int, str]] = []
    for line in (sdk.__doc__ or "").splitlines():
        found = re.search(r"(?:── |^    )([A-Z][A-Za-z]+)\b", line)
        if not found or not isinstance(getattr(sdk, found.group(1), None), type):
            continue
        column, name = found.start(1), found.group(1)
        while parents and parents[-1][0] >= column:
            parents.pop()
        if parents:
            drawn[name] = parents[-1][1]
        parents.append((column, name))
    errors = {
        n
        for n in sdk.__all__
        if isinstance(v := getattr(sdk, n), type) and issubclass(v, Exception)
    }
    assert set(drawn) == errors - {"StatusDashboardError"}
    for name, parent in drawn.items():
        public_ancestors = [
            c.__name__ for c in getattr(sdk, name).__mro__[1:] if c.__name__ in errors
        ]
        assert public_ancestors[0] == parent, name


def test_the_sdk_imports_nothing_of_the_package_but_its_version() -> None:
    for path in SDK_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("status_dashboard")
            ):
                allowed = node.module.startswith("status_dashboard.sdk") or (
                    node.module == "status_dashboard"
                    and [a.name for a in node.names] == ["__version__"]
                )
                assert allowed, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("status_dashboard"), path.name


def test_a_partners_own_tests_can_answer_through_httpx_mock_transport() -> None:
    body = b'{"groups": [{"id": "g", "name": "G", "items": [], "status_code": 3}]}'
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    agent = UserAgent("myProduct", "1.0", connector=("Technical", "3.19.0"))
    with StatusClient(user_agent=agent, transport=httpx.MockTransport(answer)) as client:
        dashboard = client.dashboard()
    assert dashboard.groups[0].name == "G"
    (request,) = seen
    assert str(request.url) == "https://status.ehealth.fgov.be/api/v1/dashboard"
    assert request.headers["user-agent"] == "myProduct/1.0 Technical/3.19.0"
    assert request.headers["accept"] == "application/json"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"base_url": "status.ehealth.fgov.be"}, "base_url must start with http:// or https://"),
        ({"environment": "../admin"}, "environment must be a name such as 'prod'"),
        ({"environment": ""}, "environment must be a name such as 'prod'"),
        ({"timeout": 0}, "timeout must be a positive number of seconds"),
        ({"retries": -1}, "retries must be 0 or more"),
        ({"user_agent": "curl/8.5.0"}, "needs at least two space-separated name/version tokens"),
    ],
)
def test_a_client_refuses_bad_settings_before_any_request(
    arguments: dict[str, object], message: str
) -> None:
    settings: dict[str, object] = {"user_agent": "myProduct/1 Technical/2", **arguments}
    with pytest.raises(ValueError, match=re.escape(message)):
        StatusClient(**settings)  # type: ignore[arg-type]


def test_the_client_takes_its_user_agent_as_text_too() -> None:
    with StatusClient(user_agent="myProduct/1 Technical/2") as client:
        assert client.user_agent == UserAgent.parse("myProduct/1 Technical/2")
        assert (client.base_url, client.environment) == ("https://status.ehealth.fgov.be", "prod")
