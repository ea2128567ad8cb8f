"""The SDK needs only httpx: in a fresh virtualenv holding httpx alone, with nothing of the
package on the path but its `__init__.py` and `sdk/`, it imports and reads a dashboard from a
real loopback server."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import status_dashboard
from integration.sdk.scripted import dashboard_reply, scripted

UV = Path(sys.executable).parent / "uv"
PACKAGE = Path(status_dashboard.__file__).parent
INSTALL_LIMIT_S = 240
RUN_LIMIT_S = 60

PROBE = """
import importlib.util, sys
import status_dashboard.sdk as sdk

with sdk.StatusClient(sys.argv[1], user_agent="freshVenv/1.0 httpx/0.28.1") as client:
    dashboard = client.dashboard()
print(len(dashboard.items()), dashboard.items()[1].status_code.name)
print(sorted(m for m in sys.modules if m.startswith("status_dashboard")))
print([name for name in ("click", "rich", "starlette", "pydantic", "sqlalchemy", "orjson")
       if importlib.util.find_spec(name) is not None])
"""


def _run(command: list[str], limit: float, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=limit, env=env, check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_sdk_imports_and_works_with_httpx_alone(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], INSTALL_LIMIT_S)
    python = venv / "bin" / "python"
    _run(
        [str(UV), "pip", "install", "--quiet", "--python", str(python), "httpx==0.28.1"],
        INSTALL_LIMIT_S,
    )

    source = tmp_path / "src" / "status_dashboard"
    (source / "sdk").mkdir(parents=True)
    shutil.copy(PACKAGE / "__init__.py", source / "__init__.py")
    for module in (PACKAGE / "sdk").glob("*.py"):
        shutil.copy(module, source / "sdk" / module.name)

    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(source.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    with scripted(dashboard_reply(1, 2, 3)) as server:
        output = _run([str(python), "-s", "-c", PROBE, server.url], RUN_LIMIT_S, env=env)
    counted, modules, installed = output.splitlines()
    assert counted == "3 DISRUPTED"
    imported = ast.literal_eval(modules)
    assert "status_dashboard.sdk" in imported
    assert all(m == "status_dashboard" or m.startswith("status_dashboard.sdk") for m in imported)
    assert installed == "[]"
