"""deploy/nginx/status-dashboard.conf made runnable in a temporary folder: its fixed paths and
ports rewritten, a trustme certificate in place of the real one, and a small nginx.conf around
it; `nginx -t` on it, or a real nginx serving it until the block ends."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

from support.server import free_port

REPO = Path(__file__).resolve().parents[3]
NGINX_CONF = REPO / "deploy" / "nginx" / "status-dashboard.conf"
NGINX = Path("/usr/sbin/nginx")
SERVER_NAME = "status.example.org"
START_LIMIT_S = 10.0


@dataclass(frozen=True)
class NginxSite:
    directory: Path
    main_conf: Path
    https_port: int
    http_port: int
    ca: trustme.CA
    access_log: Path
    error_log: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def tls(self) -> ssl.SSLContext:
        """A client context that trusts the site's certificate, as a partner's would."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def ca_file(self) -> Path:
        path = self.directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path


def nginx_binary() -> Path:
    if not NGINX.exists():
        raise AssertionError(f"{NGINX} is missing: install nginx (Debian: apt-get install nginx)")
    return NGINX


def site(directory: Path, upstreams: tuple[int, int]) -> NginxSite:
    """The deployment's configuration in `directory`, on free loopback ports, proxying to the
    replicas on `upstreams`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    certificate = ca.issue_cert(SERVER_NAME, "127.0.0.1")
    chain, key = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(b"".join(pem.bytes() for pem in certificate.cert_chain_pems))
    certificate.private_key_pem.write_to_path(str(key))
    https_port, http_port = free_port(), free_port()
    access_log, error_log = directory / "access.log", directory / "error.log"
    rewrites = {
        "/etc/ssl/status-dashboard/fullchain.pem": str(chain),
        "/etc/ssl/status-dashboard/privkey.pem": str(key),
        "/var/cache/nginx/status-dashboard": str(directory / "cache"),
        "/var/log/nginx/status-dashboard.access.log": str(access_log),
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        # A test machine may have no IPv6; the IPv4 lines above carry the test.
        "listen [::]:443 ssl http2;": "",
        "listen [::]:80;": "",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{upstreams[1]} ",
    }
    text = NGINX_CONF.read_text()
    for fixed, local in rewrites.items():
        assert text.count(fixed) == 1, f"{NGINX_CONF.name} no longer has one `{fixed}`"
        text = text.replace(fixed, local)
    (directory / "status-dashboard.conf").write_text(text)
    main_conf = directory / "nginx.conf"
    main_conf.write_text(_main_conf(directory, error_log))
    return NginxSite(directory, main_conf, https_port, http_port, ca, access_log, error_log)


def _main_conf(directory: Path, error_log: Path) -> str:
    # As root, nginx's workers would run as `nobody`, who cannot read a private temp folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        # One worker is enough here; `worker_cpu_affinity` is checked as docs/operations.md
        # asks for it in the main block (each worker on a core of its own).
        f"{user}worker_processes 1;\n"
        "worker_cpu_affinity auto;\n"
        f"error_log {error_log} info;\n"
        f"pid {directory / 'nginx.pid'};\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        f"{temp}\n"
        f"    include {directory / 'status-dashboard.conf'};\n"
        "}\n"
    )


def check(configured: NginxSite) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the site: its verdict, on stderr."""
    return subprocess.run(
        [
            str(nginx_binary()),
            "-t",
            "-p",
            str(configured.directory),
            "-c",
            str(configured.main_conf),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@contextmanager
def running(configured: NginxSite) -> Iterator[NginxSite]:
    """nginx serving the site in the foreground until the block ends, then stopped."""
    command = [
        str(nginx_binary()),
        "-p",
        str(configured.directory),
        "-c",
        str(configured.main_conf),
        "-g",
        "daemon off;",
    ]
    output = (configured.directory / "nginx.out").open("wb")
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_listening(configured, process)
        yield configured
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        output.close()


def _wait_listening(configured: NginxSite, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (configured.directory / "nginx.out").read_text(errors="replace")
            raise AssertionError(f"nginx exited with {process.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", configured.https_port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx not listening within {START_LIMIT_S} s")
