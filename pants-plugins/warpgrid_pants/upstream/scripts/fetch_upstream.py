#!/usr/bin/env python3
"""Fetch one pinned upstream file, trying its sources in order; stdlib only.

Run inside a Pants sandbox by the `FetchUpstreamRequest` rule:

    python3 fetch_upstream.py --pin '<json>' --out out [--offline-dir DIR] [--no-network]

The pin (sha256 + size + filename + ordered sources) is in argv, so it is part of the Process
cache key. The first source whose bytes match both sha256 and size is written to
`<out>/<filename>`. A mismatch or failure of a source is recorded with its reason and the next
source is tried; if none works, every source is listed with its reason on stderr and the exit
code is 1. Clients (apt-get, npm, pip, go) are found on PATH, which the rule builds from shims.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

TOOL_TIMEOUT_SECONDS = 900
URL_TIMEOUT_SECONDS = 60


class SourceFailed(Exception):
    """This source cannot deliver the pinned bytes; the message is the reason shown to users."""


def file_digest(path: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def verify(path: str, pin: dict) -> None:
    actual_sha, actual_size = file_digest(path)
    if actual_sha != pin["sha256"] or actual_size != pin["size"]:
        raise SourceFailed(
            f"hash mismatch: expected sha256 {pin['sha256']} ({pin['size']} bytes), "
            f"actual sha256 {actual_sha} ({actual_size} bytes) in {os.path.basename(path)}"
        )


def run_tool(argv: list[str], cwd: str, env: dict | None = None) -> str:
    tool = argv[0]
    if shutil.which(tool) is None:
        raise SourceFailed(f"`{tool}` is not available (not found on this machine)")
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=TOOL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise SourceFailed(f"`{' '.join(argv)}` timed out after {TOOL_TIMEOUT_SECONDS}s")
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = " | ".join(line.strip() for line in out.strip().splitlines()[-4:])
        raise SourceFailed(f"`{' '.join(argv)}` exited with {proc.returncode}: {tail}")
    return out


def pick(workdir: str, wanted: str, pattern: str) -> str:
    """The file a client produced: the pinned file name, else the only file matching `pattern`."""
    exact = os.path.join(workdir, wanted)
    if os.path.isfile(exact):
        return exact
    candidates = sorted(glob.glob(os.path.join(workdir, pattern)))
    if len(candidates) == 1:
        return candidates[0]
    names = ", ".join(os.path.basename(c) for c in sorted(glob.glob(os.path.join(workdir, "*"))))
    raise SourceFailed(f"the client produced [{names or 'nothing'}], not {wanted}")


def from_url(source: dict, pin: dict, workdir: str) -> str:
    dest = os.path.join(workdir, pin["filename"])
    try:
        with urllib.request.urlopen(source["name"], timeout=URL_TIMEOUT_SECONDS) as resp, open(dest, "wb") as f:
            shutil.copyfileobj(resp, f)
    except urllib.error.HTTPError as e:
        raise SourceFailed(f"HTTP {e.code} {e.reason}")
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise SourceFailed(f"download failed: {getattr(e, 'reason', e)}")
    return dest


def from_debian_source(source: dict, pin: dict, workdir: str) -> str:
    spec = f"{source['name']}={source['version']}"
    run_tool(["apt-get", "source", "--download-only", "--only-source", spec], workdir)
    return pick(workdir, pin["filename"], "*.orig.tar.*")


def from_debian_binary(source: dict, pin: dict, workdir: str) -> str:
    run_tool(["apt-get", "download", f"{source['name']}={source['version']}"], workdir)
    return pick(workdir, pin["filename"], "*.deb")


def from_npm(source: dict, pin: dict, workdir: str) -> str:
    run_tool(["npm", "pack", "--ignore-scripts", f"{source['name']}@{source['version']}"], workdir)
    return pick(workdir, pin["filename"], "*.tgz")


def from_pypi(source: dict, pin: dict, workdir: str) -> str:
    argv = ["python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--no-input", "-d", workdir]
    filename = pin["filename"]
    if filename.endswith(".whl"):
        # name-version(-build)?-python-abi-platform.whl: ask pip for exactly that platform.
        platform = filename[: -len(".whl")].split("-")[-1]
        if platform != "any":
            for tag in platform.split("."):
                argv += ["--platform", tag]
    argv.append(f"{source['name']}=={source['version']}")
    run_tool(argv, workdir)
    return pick(workdir, filename, "*.whl")


def from_go_module(source: dict, pin: dict, workdir: str) -> str:
    env = dict(os.environ)
    env.update(
        GOMODCACHE=os.path.join(workdir, "gomodcache"),
        GOPATH=os.path.join(workdir, "gopath"),
        GOCACHE=os.path.join(workdir, "gocache"),
        GOFLAGS="-modcacherw",
        GO111MODULE="on",
        GOTOOLCHAIN="local",
    )
    out = run_tool(["go", "mod", "download", "-json", f"{source['name']}@{source['version']}"], workdir, env)
    try:
        info = json.loads(out[out.index("{"):])
    except ValueError:
        raise SourceFailed(f"unexpected output from go mod download: {out.strip()[:200]}")
    if info.get("Error"):
        raise SourceFailed(f"go mod download: {info['Error']}")
    zip_path = info.get("Zip")
    if not zip_path or not os.path.isfile(zip_path):
        raise SourceFailed("go mod download reported no module zip")
    return zip_path


FETCHERS = {
    "url": from_url,
    "debian_source": from_debian_source,
    "debian_binary": from_debian_binary,
    "npm": from_npm,
    "pypi": from_pypi,
    "go_module": from_go_module,
}


def describe(source: dict) -> str:
    if source["kind"] == "url":
        return f"url {source['name']}"
    sep = {"npm": "@", "go_module": "@", "pypi": "=="}.get(source["kind"], "=")
    return f"{source['kind']} {source['name']}{sep}{source['version']}"


def from_offline_dir(offline_dir: str, pin: dict) -> str:
    for name in (pin["filename"], pin["sha256"]):
        candidate = os.path.join(offline_dir, name)
        if os.path.isfile(candidate):
            return candidate
    raise SourceFailed(f"no file named {pin['filename']} or {pin['sha256']} there")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pin", required=True, help="the pin as JSON")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--offline-dir", default="")
    parser.add_argument("--no-network", action="store_true")
    args = parser.parse_args()
    pin = json.loads(args.pin)

    attempts: list[tuple[str, str]] = []
    scratch = os.path.abspath("fetch-work")
    os.makedirs(args.out, exist_ok=True)

    def attempt(label: str, fetch) -> bool:
        try:
            path = fetch()
            verify(path, pin)
        except SourceFailed as e:
            attempts.append((label, str(e)))
            print(f"warpgrid fetch {pin['name']}: {label}: {e}", file=sys.stderr)
            return False
        shutil.copyfile(path, os.path.join(args.out, pin["filename"]))
        print(f"warpgrid fetch {pin['name']}: got {pin['filename']} from {label}", file=sys.stderr)
        return True

    if args.offline_dir:
        if attempt(f"offline_dir {args.offline_dir}", lambda: from_offline_dir(args.offline_dir, pin)):
            return 0
    if args.no_network:
        for source in pin["sources"]:
            attempts.append((describe(source), "skipped: [warpgrid-upstreams].allow_network is false"))
    else:
        for index, source in enumerate(pin["sources"]):
            workdir = os.path.join(scratch, str(index))
            os.makedirs(workdir, exist_ok=True)
            fetch = FETCHERS[source["kind"]]
            if attempt(describe(source), lambda: fetch(source, pin, workdir)):
                return 0

    lines = [
        f"Could not fetch upstream `{pin['name']}` {pin['version']} ({pin['filename']}, "
        f"sha256 {pin['sha256']}, {pin['size']} bytes) from any source:"
    ]
    lines += [f"  {i}. {label}: {reason}" for i, (label, reason) in enumerate(attempts, 1)]
    lines.append(
        "Fix: if the pin is wrong, correct sha256/size in the pins file (a hash mismatch above "
        "shows the actual bytes); otherwise make one source reachable, or put the file in "
        "[warpgrid-upstreams].offline_dir."
    )
    print("WARPGRID-FETCH-FAILED", file=sys.stderr)
    print("\n".join(lines), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
