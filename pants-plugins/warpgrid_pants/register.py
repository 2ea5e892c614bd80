"""WarpGrid's Pants backend: the only entry point Pants loads (`backend_packages = ["warpgrid_pants"]`).

One flat list, so a reader sees every rule module the backend has, in data-flow order:
pinned upstreams -> toolchains -> the shared component pipeline and its languages -> run/tailor.
"""

from pants.backend.python import register as python_backend
from pants.core.util_rules import archive, system_binaries

from warpgrid_pants import contract
from warpgrid_pants import target_types as _target_types
from warpgrid_pants.components import bun as bun_component
from warpgrid_pants.components import c, componentize, finalize, go, js, pipeline, rust, world
from warpgrid_pants.run import export_sdks, host_release, tailor, warpgrid_deployment, warpgrid_run
from warpgrid_pants.toolchains import (
    bun,
    c_library,
    cargo,
    clang,
    componentize_js,
    node,
    script_build,
    system_tools,
    tinygo,
    wasi_libc,
    wasm_tools,
)
from warpgrid_pants.upstream import extract, fetch, patch, pins, rebase
from warpgrid_pants.upstream.subsystem import UpstreamsSubsystem


def target_types():
    # Pants' Python backend comes along: the shim host runs as a PEX (`warpgrid_run`), so an
    # adopting repository needs only this backend in `backend_packages` (docs/ADOPTING.md).
    return [*python_backend.target_types(), *_target_types.target_types()]


def rules():
    return [
        # Pants' Python backend (the host PEX) and the util rules the upstream machinery uses.
        *python_backend.rules(),
        *archive.rules(),
        *system_binaries.rules(),
        # Pinned upstreams: pins, fetch, extract, patch series, the rebase-patches goal.
        *UpstreamsSubsystem.rules(),
        *pins.rules(),
        *fetch.rules(),
        *extract.rules(),
        *patch.rules(),
        *rebase.rules(),
        # WarpGrid's shipped files (WIT, patches, SDKs, headers), or the repository's overrides.
        *contract.rules(),
        # Toolchains: host tools, clang, wasm-tools, node, the sysroot, C libraries, ComponentizeJS.
        *system_tools.rules(),
        *clang.rules(),
        *wasm_tools.rules(),
        *node.rules(),
        *script_build.rules(),
        *wasi_libc.rules(),
        *c_library.rules(),
        *componentize_js.rules(),
        *cargo.rules(),
        *bun.rules(),
        *tinygo.rules(),
        # The shared component pipeline, then each language's composition of it.
        *world.rules(),
        *componentize.rules(),
        *finalize.rules(),
        *pipeline.rules(),
        *c.rules(),
        *js.rules(),
        *rust.rules(),
        *bun_component.rules(),
        *go.rules(),
        # Running components, proposing targets, exporting the SDKs for editors.
        *host_release.rules(),
        *warpgrid_run.rules(),
        *warpgrid_deployment.rules(),
        *export_sdks.rules(),
        *tailor.rules(),
    ]
