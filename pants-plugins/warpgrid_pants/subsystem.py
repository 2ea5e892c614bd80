"""`[warpgrid]` options: which shim host `warpgrid_run` targets start."""

from __future__ import annotations

from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem

# The host release this plugin release was built and tested with (both are version 0.1.0).
HOST_REQUIREMENT = "warpgrid==0.1.0"
HOST_INTERPRETER = "CPython==3.11.*"


class WarpGridSubsystem(Subsystem):
    options_scope = "warpgrid"
    help = "Options for the WarpGrid shim host that `warpgrid_run` targets start."

    host = StrOption(
        default=None,
        help=(
            "Address of a `pex_binary` of the WarpGrid shim host (the `warpgrid` CLI) to start "
            "components with, e.g. `//src/python/warpgrid:warpgrid` in the WarpGrid repository. "
            f"Unset: the released host, `{HOST_REQUIREMENT}` on {HOST_INTERPRETER}, resolved "
            "from the repository's `[python-repos]` like any requirement (an exact version pin; "
            "its own dependencies are exact pins too) and run as a PEX with its `warpgrid` "
            "console script."
        ),
    )
