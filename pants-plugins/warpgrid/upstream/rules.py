"""Every rule of the pinned-upstream machinery, for register.py: `*upstream_rules()`."""

from __future__ import annotations

from pants.core.util_rules import archive, system_binaries

from warpgrid.upstream import extract, fetch, patch, pins, rebase, tools
from warpgrid.upstream.subsystem import UpstreamsSubsystem


def rules():
    return [
        *archive.rules(),
        *system_binaries.rules(),
        *pins.rules(),
        *tools.rules(),
        *fetch.rules(),
        *extract.rules(),
        *patch.rules(),
        *rebase.rules(),
        *UpstreamsSubsystem.rules(),
    ]
