"""`[warpgrid-upstreams]`: where pins live and how upstream bytes may be obtained."""

from __future__ import annotations

from pants.option.option_types import BoolOption, StrOption
from pants.option.subsystem import Subsystem


class UpstreamsSubsystem(Subsystem):
    options_scope = "warpgrid-upstreams"
    help = (
        "Pinned upstream sources (wasi-libc, jco, wasm-tools, ...): every fetch is verified "
        "against the sha256 and size pinned in the pins file."
    )

    pins_file = StrOption(
        default=None,
        help=(
            "The TOML file (relative to the build root) holding every upstream pin. Unset: the "
            "pins shipped inside the installed warpgrid-pants (the versions this release was "
            "tested with); from a source checkout of the plugin, `third_party/upstreams.toml`."
        ),
    )
    offline_dir = StrOption(
        default="",
        help=(
            "A directory (absolute, or relative to the build root) searched before any network "
            "source for a file named `<filename>` or `<sha256>` of the pin: a mirror for "
            "air-gapped machines. Files found there are still verified against the pin."
        ),
    )
    allow_network = BoolOption(
        default=True,
        help=(
            "Whether pinned upstreams may be fetched from their network sources (url, apt, npm, "
            "pip, go). When false only `offline_dir` is used."
        ),
    )
