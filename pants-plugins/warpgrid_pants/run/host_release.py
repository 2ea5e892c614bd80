"""The released shim host that `warpgrid_run` starts when `[warpgrid].host` is unset: its wheel,
fetched and hash-checked, run as a PEX.

Why not the requirement `warpgrid==0.1.0`: Pex resolves a requirement by name and version (a
requirement string carries no hash), so any wheel of that name and version in `[python-repos]`
would be run unnoticed. Here Pants' `DownloadFile` checks the wheel against the sha256 and size
this plugin release was built and tested with before Pex sees it, and Pex installs that file.
The host's own dependencies are exact pins in the wheel's metadata.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from pants.backend.python.subsystems.repos import PythonRepos
from pants.backend.python.target_types import ConsoleScript
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import Pex, PexRequest
from pants.backend.python.util_rules.pex_requirements import PexRequirements
from pants.engine.fs import Digest, DownloadFile, FileDigest
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.subsystem import HOST_INTERPRETER, HOST_WHEEL, WarpGridSubsystem


class HostWheelNotFound(Exception):
    pass


class HostWheelMismatch(Exception):
    pass


def mismatch_message(url: str, cause: Exception) -> str:
    """Names the wheel, both hashes (the actual one when the wheel is a local file) and the fix."""
    actual = ""
    parsed = urlparse(url)
    if parsed.scheme == "file" and os.path.isfile(unquote(parsed.path)):
        with open(unquote(parsed.path), "rb") as wheel:
            data = wheel.read()
        actual = f"; it has sha256 {hashlib.sha256(data).hexdigest()}, {len(data)} bytes"
    return (
        f"{url} is not the host wheel this plugin release was built and tested with: expected "
        f"sha256 {HOST_WHEEL.sha256}, {HOST_WHEEL.size} bytes{actual} ({cause}). Use the "
        f"{HOST_WHEEL.filename} released with this warpgrid-pants (`./pants package ::` in the "
        "WarpGrid repository builds both, byte for byte), or run your own build of the host with "
        "`[warpgrid].host` set to its `pex_binary`."
    )


def host_wheel_url(
    find_links: Sequence[str], override: str | None, is_file: Callable[[str], bool] = os.path.isfile
) -> str:
    """Where the host wheel comes from: `[warpgrid].host_wheel_url`, else the first local
    `[python-repos].find_links` directory holding it. (Remote find-links pages and indexes name
    their files as they like, so for those the URL is given explicitly.)"""
    if override:
        if not urlparse(override).path.endswith("/" + HOST_WHEEL.filename):
            raise HostWheelNotFound(
                f"`[warpgrid].host_wheel_url` = {override} must end in the wheel's file name, "
                f"{HOST_WHEEL.filename} (the version this plugin release was tested with)"
            )
        return override
    looked = []
    for entry in find_links:
        parsed = urlparse(entry)
        if parsed.scheme not in ("", "file"):
            continue
        directory = unquote(parsed.path) if parsed.scheme == "file" else entry
        candidate = os.path.join(directory, HOST_WHEEL.filename)
        looked.append(candidate)
        if is_file(candidate):
            return "file://" + candidate
    where = ", ".join(looked) if looked else "no local `[python-repos].find_links` directory is set"
    raise HostWheelNotFound(
        f"The WarpGrid host wheel {HOST_WHEEL.filename} was not found ({where}). Put it in a "
        "`[python-repos].find_links` directory, or set `[warpgrid].host_wheel_url` to its URL "
        "(e.g. on your package index), or set `[warpgrid].host` to a `pex_binary` of the host."
    )


@dataclass(frozen=True)
class ReleasedHost:
    """The released host as a PEX whose console script is `warpgrid`."""

    pex: Pex


@dataclass(frozen=True)
class ReleasedHostRequest:
    """Asks for the released host (only when `[warpgrid].host` does not name one)."""


@rule(desc="Fetching the WarpGrid host", level=LogLevel.DEBUG)
async def released_host(
    _: ReleasedHostRequest, warpgrid: WarpGridSubsystem, python_repos: PythonRepos
) -> ReleasedHost:
    url = host_wheel_url(python_repos.find_links, warpgrid.host_wheel_url)
    try:  # Pants refuses bytes that do not match the digest
        wheel = await Get(Digest, DownloadFile(url, FileDigest(HOST_WHEEL.sha256, HOST_WHEEL.size)))
    except Exception as e:  # the engine's error names neither the file nor the hashes
        raise HostWheelMismatch(mismatch_message(url, e)) from e
    pex = await Get(
        Pex,
        PexRequest(
            output_filename="warpgrid-host.pex",
            internal_only=True,
            # A path requirement: Pex installs exactly this (checked) file, and resolves the
            # wheel's pinned dependencies from `[python-repos]`.
            requirements=PexRequirements([f"./{HOST_WHEEL.filename}"]),
            additional_inputs=wheel,
            interpreter_constraints=InterpreterConstraints([HOST_INTERPRETER]),
            main=ConsoleScript("warpgrid"),
            description=f"Building the WarpGrid host from {HOST_WHEEL.filename} (sha256 {HOST_WHEEL.sha256[:12]}...)",
        ),
    )
    return ReleasedHost(pex)


def rules():
    return collect_rules()
