"""The OpenAPI 3.1 description of the public v1 contract, served at /api/v1/openapi.json.

Written by hand on purpose: it is the contract (cookbook v1.4, docs/design.md §2-3), and the server is
tested against it, not derived from it.
"""

from __future__ import annotations

from typing import Any

from status_dashboard import __version__
from status_dashboard.api.admin.openapi import admin_paths, admin_schemas
from status_dashboard.domain.ids import GROUP_ID_PATTERN, ITEM_ID_PATTERN

_STATUS_CODE = {
    "type": "integer",
    "enum": [1, 2, 3],
    "description": "1 = Operational, 2 = Disrupted, 3 = Unknown",
}

SCHEMAS: dict[str, Any] = {
    "Dashboard": {
        "type": "object",
        "required": ["groups"],
        "additionalProperties": False,
        "properties": {
            "groups": {
                "type": "array",
                "description": "List of groups containing monitored items.",
                "items": {"$ref": "#/components/schemas/Group"},
            }
        },
    },
    "Group": {
        "type": "object",
        "required": ["id", "name", "items", "status_code"],
        "additionalProperties": False,
        "properties": {
            "id": {
                "type": "string",
                "pattern": GROUP_ID_PATTERN.pattern,
                "examples": ["AXAQooF-9v9nOdhekPYm"],
            },
            "name": {"type": "string", "examples": ["1. IAM - Identity & Access Management"]},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "status_code": {
                **_STATUS_CODE,
                "description": "The worst of the group's items: 2 if any is 2, else 3 if any is 3, "
                "else 1; 3 for a group without items.",
            },
        },
    },
    "Item": {
        "type": "object",
        "required": ["id", "order", "status_code", "last_updated", "name"],
        "additionalProperties": False,
        "properties": {
            "id": {
                "type": "string",
                "pattern": ITEM_ID_PATTERN.pattern,
                "examples": ["715d31b5a498a4587fedc57dada6a9df"],
            },
            "order": {"type": "integer", "minimum": 1, "description": "Position within the group."},
            "status_code": _STATUS_CODE,
            "last_updated": {
                "type": "string",
                "format": "date-time",
                "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$",
                "description": "When the status or description last changed, ISO 8601 with the "
                "UTC offset of Europe/Brussels, second precision.",
                "examples": ["2025-05-09T08:55:00+02:00"],
            },
            "name": {"type": "string", "description": "The service or component, in English."},
            "description": {
                "type": "string",
                "description": "The issue or status, in English; absent when there is none.",
            },
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details, in the Belgian REST guide's form.",
        "required": ["type", "title", "status", "instance"],
        "properties": {
            "type": {"type": "string"},
            "href": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "pattern": "^urn:uuid:"},
            "issues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "in": {"type": "string", "enum": ["header", "query", "path", "body"]},
                        "name": {"type": "string"},
                        "value": {},
                    },
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["UP", "DEGRADED", "DOWN"]},
            "details": {"type": "object"},
        },
    },
    "PushReceipt": {
        "type": "object",
        "required": ["status", "at"],
        "properties": {
            "status": {"type": "string", "enum": ["received"]},
            "at": {"type": "string", "format": "date-time"},
        },
    },
}

_TRACE: dict[str, Any] = {
    "BelGov-Trace-Id": {
        "description": "A new id for this answer (a UUID).",
        "schema": {"type": "string", "format": "uuid"},
        "required": True,
    },
    "BelGov-Related-Trace-Id": {
        "description": "The request's own BelGov-Trace-Id, echoed.",
        "schema": {"type": "string"},
    },
}
_CACHING: dict[str, Any] = {
    "ETag": {
        "description": "Strong entity tag of this representation.",
        "schema": {"type": "string"},
    },
    "Last-Modified": {"schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}


def _problem(description: str, **headers: Any) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {**_TRACE, **headers},
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


_HEADER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "User-Agent",
        "in": "header",
        "description": "SHOULD be '{software}/{version} {connector}/{version}' (cookbook §5.1.1); "
        "strict environments answer 400 otherwise.",
        "schema": {"type": "string"},
        "example": "myProduct/62.310.4 Technical/3.19.0",
    },
    {
        "name": "Accept",
        "in": "header",
        "description": "SHOULD be application/json; a value that excludes JSON gets 406.",
        "schema": {"type": "string"},
        "example": "application/json",
    },
    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
    {"name": "If-Modified-Since", "in": "header", "schema": {"type": "string"}},
    {
        "name": "BelGov-Trace-Id",
        "in": "header",
        "description": "The caller's trace id (a UUID is recommended); echoed as "
        "BelGov-Related-Trace-Id when it is at most 64 visible ASCII characters, else ignored.",
        "schema": {"type": "string"},
    },
]


def _dashboard_operation(summary: str, *, with_environment: bool) -> dict[str, Any]:
    parameters = list(_HEADER_PARAMETERS)
    if with_environment:
        parameters.insert(
            0,
            {
                "name": "environment",
                "in": "path",
                "required": True,
                "description": "An environment key: prod, acc, int, or one the deployment adds.",
                "schema": {"type": "string", "examples": ["int", "acc", "prod"]},
            },
        )
    responses: dict[str, Any] = {
        "200": {
            "description": "The dashboard.",
            "headers": {**_TRACE, **_CACHING},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dashboard"}}},
        },
        "304": {"description": "Not modified since the ETag or date given.", "headers": _TRACE},
        "400": _problem("A strict environment refused a non-conforming User-Agent."),
        "404": _problem("No such environment."),
        "406": _problem("The Accept header excludes application/json."),
        "503": _problem(
            "The service is starting.", **{"Retry-After": {"schema": {"type": "string"}}}
        ),
    }
    return {"summary": summary, "parameters": parameters, "responses": responses}


_STREAM_DESCRIPTION = """Server-sent events (`text/event-stream`) of one environment's dashboard.

On connect: `retry: 5000`, then an event `dashboard` whose `id` is the ETag and whose `data` is
the body of the dashboard path, on one line (skipped when `Last-Event-ID` is that ETag already);
then a `dashboard` event within a second of every change of the ETag, and a `heartbeat` event
every `STATUS_DASHBOARD_SSE_HEARTBEAT` seconds (15 by default). The stream ends when the server
stops; clients reconnect after the `retry` delay, sending the last `id` as `Last-Event-ID`.

```
retry: 5000

event: dashboard
id: "sain4_YIXfoJ86G42ky51Nb1"
data: {"groups":[...]}

event: heartbeat
data: {"at": "2026-12-01T08:00:15Z"}
```"""


def _stream_operation(summary: str, *, with_environment: bool) -> dict[str, Any]:
    # The dashboard's parameters and answers, less the conditional requests (an event stream
    # has no 304) and with its own media type.
    dashboard = _dashboard_operation(summary, with_environment=with_environment)
    accept = {
        "description": "text/event-stream, or a range that includes it; a value that excludes "
        "it gets 406.",
        "example": "text/event-stream",
    }
    parameters = [
        p | accept if p["name"] == "Accept" else p
        for p in dashboard["parameters"]
        if p["name"] not in ("If-None-Match", "If-Modified-Since")
    ]
    parameters.append(
        {
            "name": "Last-Event-ID",
            "in": "header",
            "description": "The `id` of the last event received; when it is the current ETag, "
            "the first `dashboard` event is not sent again.",
            "schema": {"type": "string"},
        }
    )
    responses = dict(dashboard["responses"])
    del responses["304"]
    responses["200"] = {
        "description": "The stream of events; it stays open.",
        "headers": {
            **_TRACE,
            "Cache-Control": {"schema": {"type": "string", "const": "no-cache"}},
            "X-Accel-Buffering": {"schema": {"type": "string", "const": "no"}},
        },
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
    responses["406"] = _problem("The Accept header excludes text/event-stream.")
    responses["429"] = _problem(
        "This client address already holds `STATUS_DASHBOARD_MAX_STREAMS_PER_CLIENT` (20) open "
        "streams on this server process; close one, or retry after `Retry-After` seconds.",
        **{"Retry-After": {"schema": {"type": "string"}}},
    )
    responses["503"] = _problem(
        "The service is starting or stopping.", **{"Retry-After": {"schema": {"type": "string"}}}
    )
    return {
        "summary": summary,
        "description": _STREAM_DESCRIPTION,
        "parameters": parameters,
        "responses": responses,
    }


def _push_operation() -> dict[str, Any]:
    return {
        "operationId": "push",
        "summary": "The heartbeat of a push check",
        "description": "A service (or a scheduled job) calls this at least once per interval "
        "of its push check; silence for longer turns the check failing. No body is needed.",
        "parameters": [
            {
                "name": "token",
                "in": "path",
                "required": True,
                "description": "The push check's token, as its definition gives it.",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"},
            }
        ],
        "responses": {
            "200": {
                "description": "Received.",
                "headers": _TRACE,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PushReceipt"}}
                },
            },
            "404": _problem("No push check has this token."),
        },
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Status Dashboard service",
            "version": __version__,
            "description": "Real-time status of the eHealth platform's services (cookbook v1.4).",
        },
        "paths": {
            "/api/v1/dashboard": {
                "get": {
                    **_dashboard_operation("The PROD dashboard", with_environment=False),
                    "operationId": "getDashboard",
                }
            },
            "/api/v1/dashboard/{environment}": {
                "get": {
                    **_dashboard_operation(
                        "The dashboard of one environment", with_environment=True
                    ),
                    "operationId": "getEnvironmentDashboard",
                }
            },
            "/api/v1/dashboard/stream": {
                "get": {
                    **_stream_operation(
                        "Live updates of the PROD dashboard", with_environment=False
                    ),
                    "operationId": "streamDashboard",
                }
            },
            "/api/v1/dashboard/{environment}/stream": {
                "get": {
                    **_stream_operation(
                        "Live updates of one environment's dashboard (e.g. /int/stream)",
                        with_environment=True,
                    ),
                    "operationId": "streamEnvironmentDashboard",
                }
            },
            "/api/v1/push/{token}": {"post": _push_operation()},
            **admin_paths(),
            "/health": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Health of the service itself",
                    "responses": {
                        "200": {
                            "description": "UP or DEGRADED",
                            "headers": _TRACE,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Health"}
                                }
                            },
                        },
                        "503": {
                            "description": "DOWN",
                            "headers": _TRACE,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Health"}
                                }
                            },
                        },
                    },
                }
            },
        },
        "components": {
            "schemas": {**SCHEMAS, **admin_schemas()},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`status-dashboard token create`).",
                }
            },
        },
    }
