"""WarpGrid's Pants backend: the only entry point Pants loads (`backend_packages = ["warpgrid"]`)."""

from warpgrid import target_types as _target_types
from warpgrid.run import tailor, warpgrid_run


def target_types():
    return _target_types.target_types()


def rules():
    return [
        *warpgrid_run.rules(),
        *tailor.rules(),
    ]
