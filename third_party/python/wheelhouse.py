"""The local wheelhouse behind WarpGrid's Pants lockfiles.

Why a wheelhouse: the lockfiles in this directory must not name a package registry host, so
every locked artifact is addressed as `file://${WARPGRID_WHEELHOUSE}/<file>` (a Pex path
mapping). This script fills that directory through pip, the ordinary client, verifying every
file against the sha256 the lockfile pins. It also serves air-gapped users: copy a filled
wheelhouse and set WARPGRID_HOME.

  fill     --wheelhouse DIR LOCK...           download what the lockfiles pin (idempotent)
  download --wheelhouse DIR --python-version X.Y REQUIREMENTS.txt
                                              resolve new requirements into DIR before
                                              `./pants generate-lockfiles` (see docs/DEVELOPING.md)

Runs on the Pants venv's CPython 3.9; the standard library only.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

URL_PREFIX = "file://${WARPGRID_WHEELHOUSE}/"


def _load_pex_lock(path):
    """Pants prefixes Pex JSON lockfiles with `//` comment lines."""
    with open(path) as f:
        text = "".join(line for line in f if not line.startswith("//"))
    return json.loads(text)


def _python_version(lock, path):
    """The Python version pip should fetch for: the pinned one (`==3.11.*`), or for a range
    (`>=3.9,<3.12`, used only by pure-Python resolves) its lowest version."""
    for pattern in (r"==\s*(\d+\.\d+)", r">=\s*(\d+\.\d+)"):
        for constraint in lock.get("requires_python") or []:
            match = re.search(pattern, constraint)
            if match:
                return match.group(1)
    sys.exit(f"{path}: cannot tell the Python version from requires_python "
             f"{lock.get('requires_python')}; pin the resolve to 'CPython==3.X.*'")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _wanted_artifacts(lock_path):
    """(python_version, [(project, version, filename, sha256)]) for every pinned artifact."""
    lock = _load_pex_lock(lock_path)
    wanted = []
    for resolve in lock["locked_resolves"]:
        for req in resolve["locked_requirements"]:
            for artifact in req["artifacts"]:
                url = artifact["url"]
                if not url.startswith(URL_PREFIX):
                    sys.exit(f"{lock_path}: artifact {url} is not in the wheelhouse; regenerate "
                             f"the lockfile as docs/DEVELOPING.md describes")
                if artifact["algorithm"] != "sha256":
                    sys.exit(f"{lock_path}: {url} pins {artifact['algorithm']}, expected sha256")
                wanted.append((req["project_name"], req["version"], url[len(URL_PREFIX):],
                               artifact["hash"]))
    return _python_version(lock, lock_path), wanted


def _pip_target_args(filename, python_version):
    """pip download flags that make `filename` (a wheel) the only acceptable artifact: its own
    interpreter, ABI and platform tags (PEP 425, compressed tag sets allowed). A generic tag
    (`py3`) takes the lockfile's Python version so Requires-Python checks still pass."""
    if not filename.endswith(".whl"):
        sys.exit(f"{filename}: only wheels are supported in the wheelhouse")
    python_tags, abi_tags, platform_tags = filename[:-len(".whl")].split("-")[-3:]
    args = []
    tag = python_tags.split(".")[-1]  # pip takes one interpreter: the newest of a set (py2.py3)
    implementation, version = tag[:2], tag[2:]
    if implementation == "py":
        version = python_version
    else:
        version = f"{version[0]}.{version[1:]}"
    args += ["--implementation", implementation, "--python-version", version]
    for abi in abi_tags.split("."):
        args += ["--abi", abi]
    for platform in platform_tags.split("."):
        args += ["--platform", platform]
    return args


def _fetch_one(project, version, filename, sha, python_version, dest):
    """Downloads exactly `filename` with pip and checks its sha256."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", *_pip_target_args(filename, python_version), "-d", tmp,
             f"{project}=={version}"],
            check=True)
        got = os.path.join(tmp, filename)
        if not os.path.exists(got):
            sys.exit(f"pip did not fetch {filename} for {project}=={version} "
                     f"(it fetched {sorted(os.listdir(tmp))})")
        actual = _sha256(got)
        if actual != sha:
            sys.exit(f"{filename}: sha256 expected {sha}, got {actual}")
        os.replace(got, os.path.join(dest, filename))


def fill(wheelhouse, lock_paths):
    os.makedirs(wheelhouse, exist_ok=True)
    for lock_path in lock_paths:
        python_version, wanted = _wanted_artifacts(lock_path)
        for project, version, filename, sha in wanted:
            path = os.path.join(wheelhouse, filename)
            if os.path.exists(path) and _sha256(path) == sha:
                continue
            _fetch_one(project, version, filename, sha, python_version, wheelhouse)


def download(wheelhouse, python_version, requirements):
    os.makedirs(wheelhouse, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
         "--python-version", python_version, "--implementation", "cp", "-d", wheelhouse,
         "-r", requirements],
        check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fill_cmd = sub.add_parser("fill")
    fill_cmd.add_argument("--wheelhouse", required=True)
    fill_cmd.add_argument("locks", nargs="+")
    download_cmd = sub.add_parser("download")
    download_cmd.add_argument("--wheelhouse", required=True)
    download_cmd.add_argument("--python-version", required=True)
    download_cmd.add_argument("requirements")
    args = parser.parse_args()
    if args.command == "fill":
        fill(args.wheelhouse, args.locks)
    else:
        download(args.wheelhouse, args.python_version, args.requirements)


if __name__ == "__main__":
    main()
