"""The SDK's User-Agent: the cookbook's pattern, the same one the service judges by."""

from __future__ import annotations

import pytest

from status_dashboard import __version__
from status_dashboard.sdk import InvalidUserAgent, StatusDashboardError, UserAgent
from status_dashboard.service.tracing import user_agent_conforms

VALID = [
    "myProduct/62.310.4 Technical/3.19.0",
    "Topaz-XXXX/123.23.X freeconnector/XXXXX.XXX",
    "MyCompany/myProduct/62.310.4 eHealth/Technical/3.19.0",
    "Topaz/1.0.0-beta eHealthConnector/4.0.0",
    "Python/3.11 aiohttp/3.9.1",
    "a/1 b/2 c/3",
    "x/1_0 y/2",
]

INVALID = [
    ("", "header"),
    ("myProduct/62.310.4", "header"),
    ("curl/8.5.0", "header"),
    ("myProduct/62.310.4  Technical/3.19.0", "token 2"),
    ("myProduct/ Technical/3.19.0", "token 1"),
    ("myProduct 62.310.4", "token 1"),
    (" myProduct/1 Technical/2", "token 1"),
    ("myProduct/1 Technical/2 ", "token 3"),
    ("my_product/1 Technical/2", "token 1"),
    ("myProduct/1 Technical/2+3", "token 2"),
    ("Mozilla/5.0 (X11; Linux x86_64)", "token 2"),
    ("/1 Technical/2", "token 1"),
    ("myProduct/1\tTechnical/2", "header"),
]


@pytest.mark.parametrize("header", VALID)
def test_a_conforming_header_is_accepted_and_reads_back_the_same(header: str) -> None:
    assert str(UserAgent.parse(header)) == header


@pytest.mark.parametrize(("header", "part"), INVALID)
def test_a_header_off_the_pattern_is_refused_naming_the_bad_part(header: str, part: str) -> None:
    with pytest.raises(InvalidUserAgent) as refused:
        UserAgent.parse(header)
    assert refused.value.part == part
    assert "User-Agent" in str(refused.value)


@pytest.mark.parametrize(
    ("header", "conforms"), [*((h, True) for h in VALID), *((h, False) for h, _ in INVALID)]
)
def test_the_sdk_accepts_exactly_what_the_service_counts_as_conforming(
    header: str, conforms: bool
) -> None:
    try:
        UserAgent.parse(header)
        accepted = True
    except InvalidUserAgent:
        accepted = False
    assert accepted == conforms == user_agent_conforms(header)


def test_the_cookbook_identity_is_product_then_connector() -> None:
    agent = UserAgent("myProduct", "62.310.4", connector=("Technical", "3.19.0"))
    assert str(agent) == "myProduct/62.310.4 Technical/3.19.0"
    assert (agent.product, agent.version, agent.connector) == (
        "myProduct",
        "62.310.4",
        ("Technical", "3.19.0"),
    )


def test_without_a_connector_the_sdk_is_named_as_one() -> None:
    assert str(UserAgent("myProduct", "1.2")) == f"myProduct/1.2 status-dashboard-sdk/{__version__}"


@pytest.mark.parametrize(
    ("product", "version", "connector", "part", "message"),
    [
        ("my product", "1", ("T", "1"), "product", "User-Agent product name 'my product' is not valid"),
        ("myProduct", "1 2", ("T", "1"), "product", "User-Agent product version '1 2' is not valid"),
        ("myProduct", "", ("T", "1"), "product", "User-Agent product version '' is not valid"),
        ("", "1", ("T", "1"), "product", "User-Agent product name '' is not valid"),
        ("myProduct", "1", ("Tech nical", "1"), "connector", "User-Agent connector name 'Tech nical' is not valid"),
        ("myProduct", "1", ("Technical", "3/19"), "connector", "User-Agent connector version '3/19' is not valid"),
        ("myProduct", "1", ("Technical",), "connector", "User-Agent connector must be a (name, version) pair"),
        ("myProduct", 1, ("T", "1"), "product", "User-Agent product version must be a string, not int"),
    ],
)  # fmt: skip
def test_a_bad_part_is_refused_by_name(
    product: str, version: str, connector: tuple[str, str], part: str, message: str
) -> None:
    with pytest.raises(InvalidUserAgent) as refused:
        UserAgent(product, version, connector=connector)
    assert refused.value.part == part
    assert str(refused.value).startswith(message)


def test_a_refused_user_agent_is_a_value_error_and_an_sdk_error() -> None:
    with pytest.raises(ValueError, match="not valid"):
        UserAgent("my product", "1")
    assert issubclass(InvalidUserAgent, StatusDashboardError)


def test_a_tool_puts_its_users_identity_first() -> None:
    tool = UserAgent("status-dashboard-cli", "1.0", connector=("status-dashboard-sdk", "1.0"))
    assert str(tool.prefixed("myMonitoring/2.1")) == (
        "myMonitoring/2.1 status-dashboard-cli/1.0 status-dashboard-sdk/1.0"
    )
    partner = UserAgent("myProduct", "62.310.4", connector=("Technical", "3.19.0"))
    assert str(tool.prefixed(partner)).startswith("myProduct/62.310.4 Technical/3.19.0 status-")
    assert user_agent_conforms(str(tool.prefixed("myMonitoring/2.1")))


@pytest.mark.parametrize("identity", ["", "my monitoring", "myMonitoring", "myMonitoring/2.1 x"])
def test_a_bad_prefix_is_refused(identity: str) -> None:
    with pytest.raises(InvalidUserAgent):
        UserAgent("tool", "1").prefixed(identity)


def test_user_agents_compare_and_hash_by_their_tokens() -> None:
    agent = UserAgent("myProduct", "1", connector=("T", "2"))
    assert agent == UserAgent.parse("myProduct/1 T/2")
    assert len({agent, UserAgent.parse("myProduct/1 T/2")}) == 1
    assert agent != UserAgent.parse("myProduct/1 T/3")
    assert repr(agent) == "UserAgent.parse('myProduct/1 T/2')"
