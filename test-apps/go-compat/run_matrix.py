#!/usr/bin/env python3
"""The Go (TinyGo) baseline matrix: builds every case in cases/ into a WarpGrid component with the
project's build scripts, serves it with the WarpGrid host, asks GET / and records the outcome.

Status per case (exactly one of):
  works    built, and the case's check passed inside the component (HTTP 200 "ok: ...");
  partial  built, but the check failed at run time (500 "fail: ..." or a guest trap);
  fails    did not build (the first compiler error is recorded).

Writes results.json and results.md (the table rows used in docs/domains/03-tinygo.md).

Usage (see docs/domains/03-tinygo.md):
  run_matrix.py --tinygoroot DIR --adapter wasi_snapshot_preview1.reactor.wasm \
                --python /path/to/venv/bin/python [--cases a,b] [--work DIR]
Environment passed to the guests when set: DATABASE_URL, REDIS_ADDR, MYSQL_DSN; the proxy serves
an endpoint for each of PG_PORT, REDIS_PORT, MYSQL_PORT that is set (its password from
WARPGRID_PG_PASSWORD, WARPGRID_REDIS_PASSWORD, WARPGRID_MYSQL_PASSWORD). The module download is the only networked step.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCRIPTS = REPO / "pants-plugins/warpgrid_pants/toolchains/scripts"

# What each case checks and, where it is known, the workaround when it does not work.
NOTES = {
    "encoding-json": ("struct/map round trip", ""),
    "fmt": ("verbs, %T, %w wrapping", ""),
    "strings": ("Builder, Fields, EqualFold, Map", ""),
    "time": ("Parse/Format, arithmetic, Sleep", ""),
    "regexp": ("submatches, ReplaceAll", ""),
    "net-url": ("Parse, Query, Values.Encode", ""),
    "crypto-sha256": ("FIPS 180 vector", ""),
    "crypto-hmac": ("RFC 4231 vector", ""),
    "uuid": ("NewRandom, Parse, NewSHA1", ""),
    "pgx": ("query through the database proxy (config parse without DATABASE_URL)",
            "sslmode=disable (the host does TLS); avoid scanning into named slice/array types"),
    "go-redis": ("SET/GET through the proxy (config parse without REDIS_ADDR)", ""),
    "mysql": ("database/sql query through the proxy (DSN parse without MYSQL_DSN)", ""),
    "chi": ("router with URL params, 404", ""),
    "gorilla-mux": ("regexp route vars, methods", ""),
    "zerolog": ("JSON log line", ""),
    "validator": ("struct tags validation", "validate by hand or with a codegen validator"),
    "jwt": ("HS256 sign + parse", ""),
    "yaml": ("gopkg.in/yaml.v3 decode/encode", ""),
    "protobuf": ("structpb Marshal/Unmarshal", "upstream Go GOOS=wasip1 (issue item 7)"),
    "decimal": ("shopspring/decimal arithmetic", ""),
}

PACKAGES = {
    "encoding-json": "encoding/json", "fmt": "fmt", "strings": "strings", "time": "time",
    "regexp": "regexp", "net-url": "net/url", "crypto-sha256": "crypto/sha256",
    "crypto-hmac": "crypto/hmac", "uuid": "github.com/google/uuid",
    "pgx": "github.com/jackc/pgx/v5", "go-redis": "github.com/redis/go-redis/v9",
    "mysql": "github.com/go-sql-driver/mysql", "chi": "github.com/go-chi/chi/v5",
    "gorilla-mux": "github.com/gorilla/mux", "zerolog": "github.com/rs/zerolog",
    "validator": "github.com/go-playground/validator/v10", "jwt": "github.com/golang-jwt/jwt/v5",
    "yaml": "gopkg.in/yaml.v3", "protobuf": "google.golang.org/protobuf",
    "decimal": "github.com/shopspring/decimal",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Live database endpoints the proxy serves when their port is given: (port variable, endpoint
# name, protocol, extra settings). The proxy authenticates with the password in password_env.
ENDPOINTS = (
    ("PG_PORT", "pg", "postgres", ['database = "app"', 'user = "app"', 'password_env = "WARPGRID_PG_PASSWORD"']),
    ("REDIS_PORT", "cache", "redis", ['password_env = "WARPGRID_REDIS_PASSWORD"']),
    ("MYSQL_PORT", "my", "mysql", ['database = "app"', 'user = "app"', 'password_env = "WARPGRID_MYSQL_PASSWORD"']),
)


def warp_toml(path: Path) -> None:
    live = [e for e in ENDPOINTS if os.environ.get(e[0])]
    lines = [
        "[shims]", "filesystem = true", "dns = true",
        f"database_proxy = {'true' if live else 'false'}",
        "[dns.registry]", '"db.production.warp.local" = ["127.0.0.1"]',
        "[limits]", "memory_mb = 128", "request_timeout_ms = 20000",
    ]
    for variable, name, protocol, extra in live:
        lines += [f"[database.endpoints.{name}]", f'protocol = "{protocol}"', 'host = "127.0.0.1"',
                  f"port = {os.environ[variable]}", *extra]
    lines += ["[env]"]
    for key in ("DATABASE_URL", "REDIS_ADDR", "MYSQL_DSN", "WARPGRID_DB_PORTS"):
        if os.environ.get(key):
            lines.append(f'{key} = "{os.environ[key]}"')
    path.write_text("\n".join(lines) + "\n")


def build(case: str, args, work: Path, modcache: Path) -> tuple[bool, str, float, int]:
    out = work / "out" / f"{case}.wasm"
    env = dict(os.environ, TINYGOROOT=str(args.tinygoroot), SRC=str(HERE), PKG=f"./cases/{case}",
               GOMODCACHE=str(modcache), WIT=str(REPO / "wit"), WORLD="warpgrid:shim/http-service",
               ADAPTER=str(args.adapter), OUT=str(out), WORK=str(work / "build" / case),
               TINYGO_CACHE=str(work / "cache"))
    t0 = time.monotonic()
    proc = subprocess.run(["sh", str(SCRIPTS / "build_go_component.sh")], env=env,
                          capture_output=True, text=True)
    took = time.monotonic() - t0
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip() and not l.startswith("#")]
        first = next((l for l in lines if "error" in l.lower() or ": " in l), lines[0] if lines else "")
        return False, first.strip()[:300], took, 0
    return True, "", took, out.stat().st_size


def run(case: str, args, work: Path) -> tuple[bool, str]:
    toml = work / "warp.toml"
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src/python"))
    log = open(work / "logs" / f"{case}.serve.log", "w")
    proc = subprocess.Popen([args.python, "-m", "warpgrid", "serve", "--config", str(toml),
                             "--listen", f"127.0.0.1:{port}", "--no-cache", str(work / "out" / f"{case}.wasm")],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as r:
                    body = r.read().decode(errors="replace").strip()
                    return body.startswith("ok:"), body[:300]
            except urllib.error.HTTPError as e:
                return False, e.read().decode(errors="replace").strip()[:300]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None:
                    return False, "warpgrid serve exited (see logs)"
                time.sleep(0.5)
        return False, "no answer within 120 s"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tinygoroot", type=Path, required=True)
    p.add_argument("--adapter", type=Path, required=True)
    p.add_argument("--python", required=True, help="a Python 3.11 with wasmtime 50.0.1 for the host")
    p.add_argument("--cases", help="comma-separated subset")
    p.add_argument("--work", type=Path, default=Path("/tmp/warpgrid-go-matrix"))
    args = p.parse_args()
    work = args.work.resolve()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    cases = args.cases.split(",") if args.cases else sorted(d.name for d in (HERE / "cases").iterdir())

    modcache = work / "gomodcache"
    if not (modcache / "cache/download").is_dir():
        env = dict(os.environ, GO_ROOT=str(args.tinygoroot / "go"), SRC=str(HERE), OUT=str(modcache))
        subprocess.run(["sh", str(SCRIPTS / "go_mod_download.sh")], env=env, check=True)
    warp_toml(work / "warp.toml")

    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for case in cases:
        ok, err, took, size = build(case, args, work, modcache)
        if not ok:
            status, detail = "fails", err
        else:
            passed, detail = run(case, args, work)
            status = "works" if passed else "partial"
        results[case] = {"package": PACKAGES.get(case, case), "status": status, "detail": detail,
                         "build_seconds": round(took, 1), "component_bytes": size}
        print(f"{case:15} {status:8} {took:6.1f}s {size:8d}  {detail[:120]}", flush=True)
        results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    rows = ["| # | Package | Case | Status | Reason | Workaround |", "|---|---|---|---|---|---|"]
    for i, case in enumerate(sorted(results), 1):
        r = results[case]
        what, workaround = NOTES.get(case, ("", ""))
        reason = r["detail"].replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {i} | `{r['package']}` | {what} | {r['status']} | {reason} | {workaround or '-'} |")
    (HERE / "results.md").write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
