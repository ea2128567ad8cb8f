"""Fixtures for the probe tests: real servers on 127.0.0.1 (see servers.py) and the
certificates they present.

ca                 a trustme CA the probes are told to trust
trust              a context factory trusting `ca`, as TlsProbe and HttpClients take it
http_server        plain HTTP; tests set each path's answer
https_server       HTTPS with a certificate from `ca`, valid for a year
untrusted_https    HTTPS with a certificate from a CA nobody trusts
tls_ports          TLS servers by certificate: valid, expiring (in 3 days), expired (2 days
                   ago), untrusted
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import trustme

from integration.probes.servers import IDENTITIES, LIFETIMES, HttpServer, TlsServer, serving


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def trust(ca: trustme.CA) -> Callable[[], ssl.SSLContext]:
    def trusting_context() -> ssl.SSLContext:
        context = ssl.create_default_context()
        ca.configure_trust(context)
        return context

    return trusting_context


def _server_context(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


def _leaf(ca: trustme.CA, lifetime: str) -> trustme.LeafCert:
    not_before, not_after = LIFETIMES[lifetime]
    return ca.issue_cert(*IDENTITIES, not_before=not_before, not_after=not_after)


@pytest.fixture(scope="session")
def http_server() -> Iterator[HttpServer]:
    server = HttpServer()
    with serving(server):
        yield server


@pytest.fixture(scope="session")
def https_server(ca: trustme.CA) -> Iterator[HttpServer]:
    server = HttpServer(_server_context(_leaf(ca, "valid")))
    with serving(server):
        yield server


@pytest.fixture(scope="session")
def untrusted_https() -> Iterator[HttpServer]:
    server = HttpServer(_server_context(trustme.CA().issue_cert(*IDENTITIES)))
    with serving(server):
        yield server


@pytest.fixture(scope="session")
def tls_ports(ca: trustme.CA) -> Iterator[dict[str, int]]:
    leaves = {lifetime: _leaf(ca, lifetime) for lifetime in LIFETIMES}
    leaves["untrusted"] = trustme.CA().issue_cert(*IDENTITIES)
    with ExitStack() as stack:
        ports = {}
        for name, leaf in leaves.items():
            server = TlsServer(_server_context(leaf))
            stack.enter_context(serving(server))
            ports[name] = server.port
        yield ports
