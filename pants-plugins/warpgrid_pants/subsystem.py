"""`[warpgrid]` options: which shim host `warpgrid_run` and `warpgrid_deployment` targets start."""

from __future__ import annotations

from dataclasses import dataclass

from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem


@dataclass(frozen=True)
class HostWheel:
    """The host release this plugin release was built and tested with (both are 0.1.0): the
    wheel `./pants package src/python/warpgrid:dist` writes, byte for byte (the build is
    reproducible; `host_release_test.py` fails with the new values when the host changes)."""

    filename: str
    sha256: str
    size: int


HOST_WHEEL = HostWheel(
    filename="warpgrid-0.1.0-py3-none-any.whl",
    sha256="1555d919612082ddd11b2814d4dcb92df63c53b08fb6765bb4d9761e2d97382e",
    size=133456,
)
HOST_INTERPRETER = "CPython==3.11.*"


class WarpGridSubsystem(Subsystem):
    options_scope = "warpgrid"
    help = "Options for the WarpGrid shim host that `warpgrid_run` targets start."

    host = StrOption(
        default=None,
        help=(
            "Address of a `pex_binary` of the WarpGrid shim host (the `warpgrid` CLI) to start "
            "components with, e.g. `//src/python/warpgrid:warpgrid` in the WarpGrid repository. "
            f"Unset: the released host, the wheel `{HOST_WHEEL.filename}` (sha256 "
            f"{HOST_WHEEL.sha256}, {HOST_WHEEL.size} bytes; any other bytes are refused) on "
            f"{HOST_INTERPRETER}, run as a PEX with its `warpgrid` console script; its own "
            "dependencies are exact pins resolved from `[python-repos]`."
        ),
    )
    host_wheel_url = StrOption(
        default=None,
        help=(
            f"URL of the released host wheel, ending in `/{HOST_WHEEL.filename}` (`file://`, "
            "`http://` or `https://`). Unset: the first local `[python-repos].find_links` "
            "directory that holds it. Either way the wheel must match the sha256 in "
            "`[warpgrid].host`'s help."
        ),
    )
