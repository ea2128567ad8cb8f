"""The one way probes (and anything else that calls out) open a connection: through the
outbound policy (domain/outbound.py, docs/design.md §7).

A name is resolved here, every address it resolves to is judged, and the connection is made to
one of those judged addresses, never to the name again: a resolver that answers a public address
to the check and a private one to the connect (DNS rebinding) gains nothing. Host names stay
what the request says, so the Host header and TLS's SNI and certificate check are unchanged.

HTTP goes through httpx, which connects through httpcore's network backend: `GuardedBackend`
is that backend, so each connection httpx opens, including one for a redirect to another host,
is judged the same way.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import httpcore
import httpx

from status_dashboard.domain.outbound import OutboundPolicy
from status_dashboard.probes.errors import CheckFailed

ALLOW_SETTING = "STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS"
_Connection = TypeVar("_Connection")


class AddressRefused(CheckFailed):
    """The target resolves to an address the policy does not open."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        super().__init__(
            f"address not allowed ({kind})",
            f"{host} resolves to {address} ({kind}); {ALLOW_SETTING} opens networks",
        )


async def allowed_addresses(host: str, port: int, policy: OutboundPolicy) -> list[str]:
    """The addresses of `host`, each judged; AddressRefused if any is not open. One bad
    address refuses the name: a name that mixes public and internal addresses is not trusted
    to pick the public one."""
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        kind = policy.refusal(address.partition("%")[0])  # fe80::1%eth0: the zone is no address
        if kind is not None:
            raise AddressRefused(name, address, kind)
    return addresses


async def open_connection(
    host: str,
    port: int,
    policy: OutboundPolicy,
    *,
    ssl_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """`asyncio.open_connection` to an address of `host` the policy opens. With TLS, the
    certificate is checked against `server_hostname` (the host by default), not the address."""
    addresses = await allowed_addresses(host, port, policy)
    sni = (server_hostname or host.strip("[]")) if ssl_context is not None else None

    async def connect(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(address, port, ssl=ssl_context, server_hostname=sni)

    return await _first_that_connects(addresses, connect)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy opens."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await allowed_addresses(host, port, self._policy)

        async def connect(address: str) -> httpcore.AsyncNetworkStream:
            return await self._inner.connect_tcp(
                address, port, timeout, local_address, socket_options
            )

        return await _first_that_connects(addresses, connect)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise CheckFailed("address not allowed (unix socket)", path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    verify: ssl.SSLContext | bool, limits: httpx.Limits, policy: OutboundPolicy
) -> httpx.AsyncHTTPTransport:
    """httpx's transport with its pool connecting through `GuardedBackend`. httpx takes no
    network backend of its own, so the pool it made is replaced by one that has it, with the
    same settings."""
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(policy),
    )
    return transport


async def _first_that_connects(
    addresses: list[str], connect: Callable[[str], Awaitable[_Connection]]
) -> _Connection:
    """The connection to the first address that takes one, tried in the resolver's order;
    the last error when none does."""
    failure: Exception | None = None
    for address in addresses:
        try:
            return await connect(address)
        except (OSError, httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            failure = exc
    raise failure or OSError("no address to connect to")
