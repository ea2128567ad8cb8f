"""Which addresses an outbound request may reach (docs/design.md §7).

Checks (and later webhooks) make the service open connections chosen by an admin: without a
rule, a check is a way to read the cloud metadata service, scan the internal network or poke
at the service's own port. By default only globally routable unicast addresses are open; what a
deployment needs beyond them (a monitored service on the private network) is opened by network
(`STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS`).

The policy judges addresses, never names: the connector (probes/outbound.py) resolves the name,
judges every address it got, and connects to one of those very addresses, so a name that
resolves differently a moment later (DNS rebinding) cannot slip past.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK_NETWORKS: tuple[IpNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
"""What `--demo` opens: its own checks ask the server it runs."""


class InvalidNetworks(ValueError):
    """An allow-list that is not comma-separated CIDRs; says which entry and why."""


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """`"10.0.0.0/8, fd00::/8"` as networks; empty text is none. Host bits must be zero
    (`10.0.0.1/8` is refused): a typo there would open more, or less, than meant."""
    networks: list[IpNetwork] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError as exc:
            raise InvalidNetworks(f"'{entry}' is not a network in CIDR notation: {exc}") from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Public unicast addresses, and `allowed` networks besides."""

    allowed: tuple[IpNetwork, ...] = ()

    def opened(self, networks: Iterable[IpNetwork]) -> OutboundPolicy:
        """This policy with `networks` open too."""
        return OutboundPolicy((*self.allowed, *networks))

    def refusal(self, address: str | IpAddress) -> str | None:
        """Why `address` may not be reached ("loopback", "private", ...), or None when it may."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if self._is_allowed(ip):
            return None
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # ::ffff:127.0.0.1 reaches 127.0.0.1: it is judged as the IPv4 address it carries.
            return self.refusal(embedded)
        return _special_kind(ip)

    def _is_allowed(self, ip: IpAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allowed)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped, 6to4, or the NAT64 well-known prefix."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _special_kind(ip: IpAddress) -> str | None:
    """The kind of address that is not public, most telling first; None for a public one."""
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:  # before private: Python counts 240.0.0.0/4 as both
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        # Shared address space (100.64.0.0/10), documentation, benchmarking, 6to4 relays and
        # the like: not the internet, and not something a check has a reason to reach.
        return "special"
    return None
