"""The scheme a client used, as a trusted proxy in front says (`X-Forwarded-Proto`).

Behind nginx terminating TLS, every request reaches the server over plain HTTP, so links it
builds (feeds, the API index), HSTS and Secure cookies would say `http`. A proxy the operator
trusts (`STATUS_DASHBOARD_FORWARDED_ALLOW_IPS`, loopback by default) tells the real scheme; any
other peer's header is ignored, since a client could otherwise claim HTTPS for itself. The Host
header needs no such care: the proxy forwards the client's own (`proxy_set_header Host $host`).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from status_dashboard.api.asgi import Scope

_SCHEMES = {b"http": "http", b"https": "https"}


def parse_allowed(value: str) -> frozenset[str]:
    """`127.0.0.1, ::1` as a set of addresses; `*` trusts every peer (a proxy on a private
    network the operator controls); empty trusts none."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def forwarded_scope(scope: Scope, allowed: frozenset[str]) -> Scope:
    """`scope` with the scheme of a trusted proxy's `X-Forwarded-Proto`, or as it was."""
    if not allowed:
        return scope
    client = scope.get("client")
    if "*" not in allowed and (client is None or client[0] not in allowed):
        return scope
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            # A chain of proxies lists one scheme each; the first is the client's own.
            scheme = _SCHEMES.get(value.split(b",")[0].strip().lower())
            if scheme is None or scheme == scope.get("scheme"):
                return scope
            return {**scope, "scheme": scheme}
    return scope


def client_address(request: HTTPConnection) -> str:
    """The address of the client a request comes from, as limits per client count it: for now
    the peer of the connection (a proxy in front is one client to it); empty when unknown."""
    client = request.client
    return "" if client is None else client.host
