"""Runs HTTP requests against a WarpGrid http-service component under wasmtime-py.

A small stand-alone host for the npm compatibility matrix and for checking
hand-built components before the shim host (src/python/warpgrid) links them.
It links WASI p2 and, for each `warpgrid:shim/*` interface the component
imports, a minimal real implementation: DNS through the host resolver,
database-proxy as a plain TCP pass-through (no pooling, no handshake
answering), a few virtual files, signals and threading as no-ops, bodies
whole in the records (http-body only collects written response pieces).

Usage:
    python run_component.py app.wasm [METHOD PATH [BODY]]... [--env K=V]... [--json]
Prints one line per request: status, then the body (or JSON with --json).
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

HANDLER = "warpgrid:shim/http-handler@0.1.0"
VIRTUAL_FILES = {
    "/etc/hosts": b"127.0.0.1 localhost\n",
    "/etc/resolv.conf": b"nameserver 127.0.0.1\n",
    "/dev/null": b"",
}


@dataclass
class Connections:
    """TCP connections opened through database-proxy.connect, by handle (and the response body
    pieces the current request wrote through http-body)."""

    sockets: dict[int, socket.socket] = field(default_factory=dict)
    next_handle: int = 1
    written: list[bytes] = field(default_factory=list)

    def close_all(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()


def _ip(octets: bytes, is_v6: bool) -> SimpleNamespace:
    ip = SimpleNamespace(octets=octets)
    setattr(ip, "is-v6", is_v6)
    return ip


def define_shims(linker: Linker, imported: set[str], conns: Connections) -> None:
    """Defines the shim interfaces the component imports (only those)."""

    def resolve(_store, hostname: str):
        try:
            infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror:
            return "not-found"
        out = []
        for family, *_rest, addr in infos:
            packed = socket.inet_pton(family, addr[0])
            out.append(_ip(packed, family == socket.AF_INET6))
        return out

    def connect(_store, config):
        try:
            sock = socket.create_connection((config.host, config.port), timeout=5)
        except ConnectionRefusedError:
            return "connection-refused"
        except OSError:
            return "timeout"
        handle = conns.next_handle
        conns.next_handle += 1
        conns.sockets[handle] = sock
        return handle

    def send(_store, conn: int, data: bytes):
        sock = conns.sockets.get(conn)
        if sock is None:
            return "closed"
        sock.sendall(data)
        return len(data)

    def recv(_store, conn: int, max_bytes: int):
        sock = conns.sockets.get(conn)
        if sock is None:
            return "closed"
        try:
            data = sock.recv(max_bytes)
        except TimeoutError:
            return "timeout"
        return data if data else "closed"

    def close(_store, conn: int) -> None:
        sock = conns.sockets.pop(conn, None)
        if sock is not None:
            sock.close()

    table = {
        "warpgrid:shim/dns@0.1.0": {"resolve": resolve},
        "warpgrid:shim/database-proxy@0.1.0": {"connect": connect, "send": send, "recv": recv, "close": close},
        "warpgrid:shim/filesystem@0.1.0": {
            "read-virtual": lambda _s, path: VIRTUAL_FILES.get(path),
            "is-virtual": lambda _s, path: path in VIRTUAL_FILES,
            "list-virtual-paths": lambda _s: sorted(VIRTUAL_FILES),
        },
        "warpgrid:shim/signals@0.1.0": {"on-signal": lambda _s, sig: True, "poll-signal": lambda _s: None},
        "warpgrid:shim/threading@0.1.0": {"declare-threading-model": lambda _s, model: None},
        # Request bodies go whole into the record, so there is never more to read; written
        # response pieces come before the record's body (Runner.request).
        "warpgrid:shim/http-body@0.1.0": {
            "read-request-body": lambda _s, offset, max_bytes: b"",
            "write-response-body": lambda _s, piece: conns.written.append(bytes(piece)),
        },
    }
    with linker.root() as root:
        for iface, funcs in table.items():
            if iface not in imported:
                continue
            with root.add_instance(iface) as inst:
                for name, fn in funcs.items():
                    inst.add_func(name, fn)


@dataclass
class Runner:
    """One compiled component; each request runs in a fresh instance."""

    path: str
    env: list[tuple[str, str]]

    def __post_init__(self) -> None:
        self.engine = Engine(Config())
        t0 = time.perf_counter()
        self.component = Component.from_file(self.engine, self.path)
        self.compile_seconds = time.perf_counter() - t0
        imports = self.component.type.imports(self.engine)
        self.imported = set(imports if isinstance(imports, dict) else [])
        self.conns = Connections()
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        define_shims(self.linker, self.imported, self.conns)
        iface = self.component.get_export_index(HANDLER)
        if iface is None:
            raise SystemExit(f"{self.path}: component does not export {HANDLER}")
        self.handle_index = self.component.get_export_index("handle", iface)

    def request(self, method: str, uri: str, body: bytes = b"", headers=None):
        store = Store(self.engine)
        wasi = WasiConfig()
        wasi.env = self.env
        wasi.inherit_stderr()
        store.set_wasi(wasi)
        instance = self.linker.instantiate(store, self.component)
        req = SimpleNamespace(method=method, uri=uri, headers=list(headers or []), body=body)
        self.conns.written = []
        try:
            resp = instance.get_func(store, self.handle_index)(store, req)
        finally:
            self.conns.close_all()
        return resp.status, list(resp.headers), b"".join(self.conns.written) + bytes(resp.body)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("component")
    parser.add_argument("requests", nargs="*", help="METHOD PATH [BODY] triples separated by ';'")
    parser.add_argument("--env", action="append", default=[], help="K=V for the guest environment")
    parser.add_argument("--json", action="store_true", help="print one JSON object per request")
    args = parser.parse_intermixed_args(argv)
    env = [tuple(kv.split("=", 1)) for kv in args.env]
    runner = Runner(args.component, env)
    specs = " ".join(args.requests).split(";") if args.requests else ["GET /"]
    for spec in specs:
        parts = spec.strip().split(" ", 2)
        method, uri = parts[0], parts[1] if len(parts) > 1 else "/"
        body = parts[2].encode() if len(parts) > 2 else b""
        try:
            status, headers, resp_body = runner.request(method, uri, body)
        except Exception as exc:  # a guest trap: report it, keep the host up
            out = {"request": spec.strip(), "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(out) if args.json else f"ERROR {out['error']}")
            continue
        if args.json:
            print(json.dumps({"request": spec.strip(), "status": status, "headers": headers,
                              "body": resp_body.decode("utf-8", "replace")}))
        else:
            print(status, resp_body.decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
