"""The T6 deployment (test-apps/t6-multi-service) pointed at local servers: shared by its
end-to-end test and its load benchmark (benchmarks/t6_load.py).

Each service's checked-in warp.toml is read, its database endpoints and environment are pointed
at the given Postgres (database `app`, user `t6`) and Redis, passwords come from
WG_T6_PG_PW / WG_T6_REDIS_PW, and a fifth service, ``faults`` (the C test guest
tests/guests/c:http_service: /trap traps, /loop runs past its 1 s deadline), joins so fault
handling can be exercised through the gateway. Paths are where `pants test`/`pants package`
put the built components (relative to the sandbox or the repository root).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

APP = Path("test-apps/t6-multi-service")
BUILT = {
    "gateway": Path("test-apps.t6-multi-service.gateway/wasm.wasm"),
    "users": Path("test-apps.t6-multi-service.users/wasm.wasm"),
    "notifications": Path("test-apps.t6-multi-service.notifications/wasm.wasm"),
    "analytics": Path("test-apps.t6-multi-service.analytics/wasm.wasm"),
    "faults": Path("tests.guests.c/http_service.wasm"),
}
PG_USER, PG_PASSWORD = "t6", "t6-Secret-4"
REDIS_PASSWORD = "t6-Redis-5"


def toml_dump(data: dict[str, Any], prefix: str = "") -> str:
    """The small TOML subset warp.toml uses: tables of strings, numbers, booleans, string lists."""
    scalars = [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = ([f"[{prefix}]"] if prefix and scalars else []) + scalars
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(toml_dump(value, f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key)))
    return "\n".join(out) + "\n"


def service_config(name: str, pg_port: int, redis_port: int) -> str:
    """The service's checked-in warp.toml, pointed at the test's servers and passwords."""
    if name == "faults":
        return "[limits]\nrequest_timeout_ms = 1000\n[http]\nready_instances = 0\n"
    data = tomllib.loads((APP / name / "warp.toml").read_text())
    for endpoint in data.get("database", {}).get("endpoints", {}).values():
        if endpoint["protocol"] == "postgres":
            endpoint.update(port=pg_port, database="app", user=PG_USER, password_env="WG_T6_PG_PW")
        else:
            endpoint.update(port=redis_port, password_env="WG_T6_REDIS_PW")
    env = data.get("env", {})
    if "REDIS_PORT" in env:
        env["REDIS_PORT"] = str(redis_port)
    if "DATABASE_URL" in env:
        env["DATABASE_URL"] = f"postgres://{PG_USER}@127.0.0.1:{pg_port}/app?sslmode=disable"
        env["WARPGRID_DB_PORTS"] = f"{pg_port}=postgres"  # Go's net maps only 5432 to postgres itself
    if "DATABASE_PORT" in env:
        env.update(DATABASE_PORT=str(pg_port), DATABASE_NAME="app", DATABASE_USER=PG_USER)
    if name == "gateway":
        data["http_client"]["allow"].append("faults.t6.warp.local")
    return toml_dump(data)


def write_deployment(root: Path, pg_port: int, redis_port: int, listen: str = "127.0.0.1:0",
                     built: dict[str, Path] | None = None) -> Path:
    """Writes each service's config and deployment.toml into ``root``; returns the manifest."""
    lines = ['namespace = "t6"']
    for name, component in (built or BUILT).items():
        (root / f"{name}.toml").write_text(service_config(name, pg_port, redis_port))
        lines += [f"[services.{name}]", f"component = {json.dumps(str(component.resolve()))}",
                  f'config = "{name}.toml"']
        if name == "gateway":
            lines.append(f'listen = "{listen}"')
    (root / "deployment.toml").write_text("\n".join(lines) + "\n")
    return root / "deployment.toml"
