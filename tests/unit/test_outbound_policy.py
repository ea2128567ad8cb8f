"""Which addresses a check may reach (domain/outbound.py): every kind of internal address
refused, however it is spelt, and the networks a deployment opens."""

from __future__ import annotations

import ipaddress

import pytest

from status_dashboard.domain.outbound import (
    LOOPBACK_NETWORKS,
    InvalidNetworks,
    OutboundPolicy,
    parse_networks,
)

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "10.0.0.1": "private",
    "172.31.255.255": "private",
    "192.168.0.1": "private",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "224.0.0.251": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "240.0.0.1": "reserved",
    "100.64.0.1": "special",
    "192.0.2.1": "private",  # documentation (TEST-NET-1), which Python counts as private
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:169.254.169.254": "link-local",
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
}


@pytest.mark.parametrize(("address", "kind"), REFUSED.items(), ids=REFUSED.keys())
def test_internal_addresses_are_refused_by_default(address: str, kind: str) -> None:
    assert OutboundPolicy().refusal(address) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_open(address: str) -> None:
    assert OutboundPolicy().refusal(address) is None


def test_opened_networks_are_open_and_only_they() -> None:
    policy = OutboundPolicy(parse_networks("10.1.0.0/16, fd00::/8"))
    assert policy.refusal("10.1.2.3") is None
    assert policy.refusal("fd00::7") is None
    assert policy.refusal("10.2.0.1") == "private"
    assert policy.refusal("::ffff:10.1.2.3") is None  # mapped, judged as the IPv4 it carries
    assert policy.refusal("127.0.0.1") == "loopback"


def test_loopback_opened_as_demo_mode_opens_it() -> None:
    policy = OutboundPolicy().opened(LOOPBACK_NETWORKS)
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal(ipaddress.ip_address("::1")) is None
    assert policy.refusal("169.254.169.254") == "link-local"


def test_an_allow_list_is_comma_separated_cidrs() -> None:
    assert parse_networks("") == ()
    assert parse_networks(" 10.0.0.0/8 ,, ::1/128 ") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("10.0.0.1/8", "has host bits set"),
        ("intranet", "does not appear to be an IPv4 or IPv6 network"),
        ("10.0.0.0/33", "10.0.0.0/33"),
    ],
)
def test_an_entry_that_is_not_a_network_is_refused_by_name(text: str, why: str) -> None:
    with pytest.raises(InvalidNetworks) as raised:
        parse_networks(f"192.168.0.0/16,{text}")
    assert str(raised.value).startswith(f"'{text}' is not a network in CIDR notation")
    assert why in str(raised.value)
