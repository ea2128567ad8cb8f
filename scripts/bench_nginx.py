"""The reference: one nginx worker serving the dashboard's bytes as a static file."""

from __future__ import annotations

import os
from pathlib import Path

from bench_procs import DASHBOARD_PATH, HOST

BODY_FILE = "dashboard.json"

# Everything nginx writes lives under the prefix, so it runs without root-owned paths.
# access_log is off on both sides: the service logs no access line by default either.
# sendfile and the default static ETag ("mtime-size") are on, as in a stock deployment.
# keepalive_requests is raised so nginx, like the service, never closes wrk's connections
# (its default of 1000 would add reconnects to nginx's side only).
_CONFIG = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;

    server {{
        listen {host}:{port};
        location = {path} {{
            default_type application/json;
            alias {prefix}/www/{body_file};
        }}
    }}
}}
"""


def write_site(prefix: Path, port: int, body: bytes) -> Path:
    """Write the body and nginx.conf under `prefix`; return the config's path."""
    www = prefix / "www"
    www.mkdir()
    (www / BODY_FILE).write_bytes(body)
    # Run as root, nginx's worker drops to `nobody`, which must be able to read the file.
    for path, mode in ((prefix, 0o755), (www, 0o755), (www / BODY_FILE, 0o644)):
        os.chmod(path, mode)
    conf = prefix / "nginx.conf"
    conf.write_text(
        _CONFIG.format(
            prefix=prefix, host=HOST, port=port, path=DASHBOARD_PATH, body_file=BODY_FILE
        )
    )
    return conf


def command(nginx: str, prefix: Path, conf: Path) -> list[str]:
    # -e: nginx opens its built-in error log (/var/log/nginx) before it reads the config.
    return [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "nginx-error.log")]
