"""What an unscoped admin prepares over the admin API so that a test's request has something
real to act on without spoiling the next one: a fresh item to delete, a fresh window to cancel,
a fresh token to revoke. Every step must succeed, or the test stops there."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

API = "/api/admin/v1"


def answer(response: httpx.Response, status: int) -> Any:
    """The JSON of `response`, which must have `status`."""
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def window_body() -> dict[str, Any]:
    """A maintenance window a month ahead: scheduling it changes nothing the public sees now."""
    starts = datetime.now(UTC) + timedelta(days=30)
    return {
        "title": "Sandbox window",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }


@dataclass
class Sandbox:
    """Made with `client`, an unscoped admin's: a sandbox group and item per environment, made
    once, and `fresh_` things made anew at each call."""

    client: httpx.Client
    _numbers: Iterator[int] = field(default_factory=itertools.count)
    _groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    _items: dict[str, str] = field(default_factory=dict)
    _incidents: dict[str, int] = field(default_factory=dict)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._numbers)}"

    def group(self, env: str) -> dict[str, Any]:
        """The sandbox group of `env`, as the API answers it."""
        if env not in self._groups:
            created = self.client.post(
                f"{API}/dashboards/{env}/groups", json={"key": "sandbox", "name": "Sandbox"}
            )
            self._groups[env] = answer(created, 201)
        return self._groups[env]

    def item(self, env: str) -> str:
        """The id of the sandbox item of `env`."""
        if env not in self._items:
            self._items[env] = self.fresh_item(env)
        return self._items[env]

    def fresh_item(self, env: str) -> str:
        body = {"key": self.unique("item"), "group": self.group(env)["key"], "name": "Sandbox"}
        return str(answer(self.client.post(f"{API}/dashboards/{env}/items", json=body), 201)["id"])

    def fresh_group(self, env: str) -> str:
        body = {"key": self.unique("group"), "name": "Spare"}
        return str(answer(self.client.post(f"{API}/dashboards/{env}/groups", json=body), 201)["id"])

    def override(self, env: str) -> str:
        """The sandbox item of `env`, given an override (to be cleared)."""
        item = self.item(env)
        answer(
            self.client.patch(f"{API}/dashboards/{env}/items/{item}", json={"status_code": 2}), 200
        )
        return item

    def incident(self, env: str) -> int:
        """An open incident of `env` naming its sandbox item, opened once."""
        if env not in self._incidents:
            created = self.client.post(
                f"{API}/dashboards/{env}/incidents", json=self.incident_body(env)
            )
            self._incidents[env] = int(answer(created, 201)["id"])
        return self._incidents[env]

    def incident_body(self, env: str) -> dict[str, Any]:
        return {"title": "Sandbox", "item_ids": [self.item(env)], "message": "Looking into it"}

    def fresh_window(self, env: str) -> int:
        created = self.client.post(f"{API}/dashboards/{env}/maintenance", json=window_body())
        return int(answer(created, 201)["id"])

    def fresh_token(self, environments: list[str] | None, role: str = "viewer") -> int:
        body = {"name": self.unique("token"), "role": role, "environments": environments}
        return int(answer(self.client.post(f"{API}/tokens", json=body), 201)["id"])

    def fresh_user(self) -> str:
        body = {"name": self.unique("user"), "role": "viewer", "password": "a sandbox pass phrase"}
        return str(answer(self.client.post(f"{API}/users", json=body), 201)["name"])

    def fresh_environment(self) -> str:
        key = self.unique("spare")
        body = {"key": key, "name": "Spare"}
        answer(self.client.post(f"{API}/environments", json=body), 201)
        return key

    def environment_name(self, env: str) -> str:
        return str(answer(self.client.get(f"{API}/environments/{env}"), 200)["name"])
