"""`[warpgrid]` options shared by the plugin's run and test integration."""

from __future__ import annotations

from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem


class WarpGridSubsystem(Subsystem):
    options_scope = "warpgrid"
    help = "Options for the WarpGrid shim host that `warpgrid_run` targets start."

    host = StrOption(
        default="//src/python/warpgrid:warpgrid",
        help=(
            "Address of the `pex_binary` of the WarpGrid shim host (the `warpgrid` CLI). "
            "`warpgrid_run` builds it and starts the component with it."
        ),
    )
