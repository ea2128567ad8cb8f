"""HTTP: the ASGI application, the public v1 API, problem+json errors and the OpenAPI document."""
