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
    for constraint in lock.get("requires_python") or []:
        match = re.search(r"==\s*(\d+\.\d+)", constraint)
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


def fill(wheelhouse, lock_paths):
    os.makedirs(wheelhouse, exist_ok=True)
    for lock_path in lock_paths:
        python_version, wanted = _wanted_artifacts(lock_path)
        missing = [w for w in wanted
                   if not os.path.exists(os.path.join(wheelhouse, w[2]))
                   or _sha256(os.path.join(wheelhouse, w[2])) != w[3]]
        if not missing:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            reqs = os.path.join(tmp, "requirements.txt")
            with open(reqs, "w") as f:
                for project, version, _, sha in missing:
                    f.write(f"{project}=={version} --hash=sha256:{sha}\n")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--require-hashes", "--only-binary=:all:", "--python-version", python_version,
                 "--implementation", "cp", "-d", tmp, "-r", reqs],
                check=True)
            for project, version, filename, sha in missing:
                got = os.path.join(tmp, filename)
                if not os.path.exists(got):
                    sys.exit(f"{lock_path}: pip did not fetch {filename} for {project}=={version} "
                             f"(this machine's platform may differ from the one locked: "
                             f"{sorted(os.listdir(tmp))})")
                actual = _sha256(got)
                if actual != sha:
                    sys.exit(f"{lock_path}: {filename}: sha256 expected {sha}, got {actual}")
                os.replace(got, os.path.join(wheelhouse, filename))


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
