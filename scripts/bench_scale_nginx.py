"""nginx in front of the scale bench's two replicas: deploy/nginx/status-dashboard.conf in plain
HTTP on loopback, with three ways in (replica A alone, both, both through the cache)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import bench_procs as procs
from bench_procs import DASHBOARD_PATH, HOST, BenchSetupError

# deploy/nginx/status-dashboard.conf without TLS: one server per upstream (replica A alone;
# both), and one more with the deployment's cache. Placeholders are __NAME__: the config's own
# braces and $variables stay as nginx reads them.
_CONFIG = """\
__USER__worker_processes auto;
worker_cpu_affinity auto;
daemon off;
pid __PREFIX__/nginx.pid;
error_log __PREFIX__/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    gzip off;
    keepalive_requests 1000000;
    client_body_temp_path __PREFIX__/client_body_temp;
    proxy_temp_path __PREFIX__/proxy_temp;
    fastcgi_temp_path __PREFIX__/fastcgi_temp;
    uwsgi_temp_path __PREFIX__/uwsgi_temp;
    scgi_temp_path __PREFIX__/scgi_temp;

    upstream one_replica {
        server __HOST__:__A__ max_fails=3 fail_timeout=5s;
        keepalive 64; keepalive_requests 100000; keepalive_timeout 60s;
    }
    upstream two_replicas {
        least_conn;
        server __HOST__:__A__ max_fails=3 fail_timeout=5s;
        server __HOST__:__B__ max_fails=3 fail_timeout=5s;
        keepalive 64; keepalive_requests 100000; keepalive_timeout 60s;
    }
    proxy_cache_path __PREFIX__/cache levels=1:2 keys_zone=status_dashboard:10m
                     max_size=64m inactive=10m use_temp_path=off;

    map $http_accept_encoding $status_dashboard_encoding {
        default                                          "";
        "~*\\bbr\\b(?!\\s*;\\s*q\\s*=\\s*0(\\.0{0,3})?\\s*(,|$))"   "br";
        "~*\\bgzip\\b(?!\\s*;\\s*q\\s*=\\s*0(\\.0{0,3})?\\s*(,|$))" "gzip";
    }
    map $http_accept $status_dashboard_odd_accept {
        "~^(application/json|application/\\*|\\*/\\*)?$" 0;
        default                                        1;
    }
    map $http_user_agent $status_dashboard_odd_agent {
        "~^[A-Za-z0-9/-]+/[0-9A-Za-z_.-]+( [A-Za-z0-9/-]+/[0-9A-Za-z_.-]+)+$" 0;
        default                                                                1;
    }
    map "$status_dashboard_odd_accept$status_dashboard_odd_agent" $status_dashboard_uncached {
        "00"    0;
        default 1;
    }
    map $request_id $status_dashboard_trace_id {
        "~^(?<a>.{8})(?<b>.{4})(?<c>.{4})(?<d>.{4})(?<e>.{12})$" "$a-$b-$c-$d-$e";
    }

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Accept-Encoding $status_dashboard_encoding;
    proxy_connect_timeout 2s;
    proxy_read_timeout 30s;
    proxy_next_upstream error timeout http_502 http_503 http_504;
    proxy_next_upstream_tries 2;

    server {
        listen __HOST__:__ONE__;
        location / { proxy_pass http://one_replica; }
    }
    server {
        listen __HOST__:__TWO__;
        location / { proxy_pass http://two_replicas; }
    }
    server {
        listen __HOST__:__CACHED__;
        location ~ ^/api/v1/dashboard(/[^/]+)?$ {
            proxy_pass http://two_replicas;
            proxy_cache status_dashboard;
            proxy_cache_key "$scheme://$host$request_uri|$status_dashboard_encoding";
            proxy_cache_valid 200 15s;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 2s;
            proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
            proxy_cache_background_update on;
            proxy_cache_bypass $status_dashboard_uncached;
            proxy_no_cache $status_dashboard_uncached;
            proxy_hide_header BelGov-Trace-Id;
            add_header BelGov-Trace-Id $status_dashboard_trace_id always;
            add_header X-Cache-Status $upstream_cache_status always;
        }
        location / { proxy_pass http://two_replicas; }
    }
}
"""


@dataclass(frozen=True)
class Front:
    """nginx's three ways in: to replica A alone, to both, to both through its cache."""

    one: int
    two: int
    cached: int


def config(prefix: Path, replicas: tuple[int, int], front: Front) -> str:
    # As root, nginx's workers would run as `nobody`, who cannot write a private temp folder.
    values = {
        "__USER__": "user root;\n" if os.geteuid() == 0 else "",
        "__PREFIX__": str(prefix),
        "__HOST__": HOST,
        "__A__": str(replicas[0]),
        "__B__": str(replicas[1]),
        "__ONE__": str(front.one),
        "__TWO__": str(front.two),
        "__CACHED__": str(front.cached),
    }
    config = _CONFIG
    for placeholder, value in values.items():
        config = config.replace(placeholder, value)
    return config


def check_front(replica_port: int, front: Front, headers: dict[str, str]) -> str:
    """Every way in serves replica A's dashboard and answers 304 to its ETag, and the cache
    keeps it; returns that ETag."""
    identity = {**headers, "Accept-Encoding": "identity"}
    direct = procs.get(replica_port, DASHBOARD_PATH, identity)
    etag = direct.headers.get("etag", "")
    for port in (front.one, front.two, front.two, front.cached, front.cached):
        answer = procs.get(port, DASHBOARD_PATH, identity)
        if answer.status != 200 or answer.body != direct.body:
            raise BenchSetupError(f"nginx on {port} does not serve the replicas' dashboard")
        if procs.get(port, DASHBOARD_PATH, {**identity, "If-None-Match": etag}).status != 304:
            raise BenchSetupError(f"nginx on {port} does not answer 304 to the replicas' ETag")
    if procs.get(front.cached, DASHBOARD_PATH, identity).headers.get("x-cache-status") != "HIT":
        raise BenchSetupError("nginx's cache does not keep the dashboard")
    return etag
