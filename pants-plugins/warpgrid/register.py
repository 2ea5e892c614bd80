"""WarpGrid's Pants backend: the only entry point Pants loads (`backend_packages = ["warpgrid"]`)."""

from warpgrid import target_types as _target_types
from warpgrid.run import tailor, warpgrid_run
from warpgrid.upstream.rules import rules as upstream_rules
from warpgrid.toolchains.rules import rules as toolchain_rules
from warpgrid.components.rules import rules as component_rules
from warpgrid.components import js as js_component
from warpgrid.toolchains import componentize_js


def target_types():
    return _target_types.target_types()


def rules():
    return [
        *warpgrid_run.rules(),
        *tailor.rules(),
        *upstream_rules(),
        *toolchain_rules(),
        *component_rules(),
        *componentize_js.rules(),
        *js_component.rules(),
    ]
