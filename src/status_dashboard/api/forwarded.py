"""The scheme and the address of the client, as a trusted proxy in front says
(`X-Forwarded-Proto`, and `X-Forwarded-For` or `Forwarded`).

Behind nginx terminating TLS, every request reaches the server over plain HTTP from 127.0.0.1,
so links it builds (feeds, the API index), HSTS and Secure cookies would say `http`, and the
sign-in throttle would count every client as one. A proxy the operator trusts
(`STATUS_DASHBOARD_FORWARDED_ALLOW_IPS`, loopback by default) tells the real scheme and address;
any other peer's headers are ignored, since a client could otherwise claim HTTPS, or any
address, for itself. The Host header needs no such care: the proxy forwards the client's own
(`proxy_set_header Host $host`).
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from status_dashboard.api.asgi import Scope

_SCHEMES = {b"http": "http", b"https": "https"}
MAX_HOPS = 32
"""A longer chain is a client padding the header: only its last hops are read."""


def parse_allowed(value: str) -> frozenset[str]:
    """`127.0.0.1, ::1` as a set of addresses; `*` trusts every peer (a proxy on a private
    network the operator controls); empty trusts none."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def forwarded_scope(scope: Scope, allowed: frozenset[str]) -> Scope:
    """`scope` with the scheme and client address a trusted proxy gives, or as it was."""
    if not allowed:
        return scope
    client = scope.get("client")
    if "*" not in allowed and (client is None or client[0] not in allowed):
        return scope
    proto = None
    chain: list[str] = []
    fallback: list[str] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto" and proto is None:
            proto = value
        elif name == b"x-forwarded-for":
            chain.extend(_hops(value.decode("latin-1").split(",")))
        elif name == b"forwarded":
            fallback.extend(_forwarded_for(value.decode("latin-1")))
    changed: dict[str, object] = {}
    if proto is not None:
        # A chain of proxies lists one scheme each; the first is the client's own.
        scheme = _SCHEMES.get(proto.split(b",")[0].strip().lower())
        if scheme is not None and scheme != scope.get("scheme"):
            changed["scheme"] = scheme
    address = _client_of(chain or fallback, allowed)
    if address is not None:
        changed["client"] = (address, 0)
    return {**scope, **changed} if changed else scope


def _client_of(chain: list[str], allowed: frozenset[str]) -> str | None:
    """The right-most address of the chain that is not a trusted proxy: each proxy appends the
    peer it saw, so everything left of it could have been written by the client itself. When
    every hop is trusted (`*`), the left-most, the first proxy's client. A hop that is no
    address stops the walk (None: the peer stays the client), as what lies left of it is
    nobody's word."""
    hops = chain[-MAX_HOPS:]
    everyone = "*" in allowed
    for hop in reversed(hops):
        if not hop:
            return None
        if not everyone and hop not in allowed:
            return hop
    return hops[0] if hops else None


def _hops(parts: list[str]) -> list[str]:
    return [_address(part) for part in parts]


def _forwarded_for(value: str) -> list[str]:
    """The `for=` of each element of an RFC 7239 `Forwarded` header, in order."""
    found = []
    for element in value.split(","):
        for pair in element.split(";"):
            key, _, raw = pair.strip().partition("=")
            if key.lower() == "for":
                found.append(_address(raw.strip().strip('"')))
    return found


def _address(raw: str) -> str:
    """An IP address without port or brackets, as the server would see a peer; "" for anything
    else (`unknown`, an obfuscated name, garbage)."""
    raw = raw.strip()
    if raw.startswith("["):
        raw = raw[1:].partition("]")[0]
    elif raw.count(":") == 1:
        raw = raw.partition(":")[0]
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""


def client_address(request: HTTPConnection) -> str:
    """The address of the client a request comes from, as limits per client count it: the peer,
    or the client a trusted proxy names (`forwarded_scope` put it in the scope); empty when
    unknown."""
    client = request.client
    return "" if client is None else client.host
