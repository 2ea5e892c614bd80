"""Every public WarpGrid target and field: the plugin's API, read by users via `pants help`.

Rules live elsewhere (upstream/, toolchains/, components/, run/); this module only declares
shapes and help text, so a reader finds the whole user-facing surface in one place.
"""

from __future__ import annotations

from pants.core.goals.package import OutputPathField
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    MultipleSourcesField,
    SingleSourceField,
    SpecialCasedDependencies,
    StringField,
    StringSequenceField,
    Target,
)

# ---------------------------------------------------------------------------------------------
# Shared fields
# ---------------------------------------------------------------------------------------------


class UpstreamPinField(StringField):
    alias = "upstream"
    required = True
    help = (
        "The name of a pinned upstream in `third_party/upstreams.toml` (the one place where every "
        "upstream's version, sha256 and ordered fetch sources live), e.g. `wasi-libc`."
    )


class PatchesField(MultipleSourcesField):
    alias = "patches"
    expected_file_extensions = (".patch",)
    help = (
        "The patch series applied in order (by file name) to the pinned upstream, in "
        "`git format-patch` form: `patches/<upstream>/NNNN-name.patch`. Paths are relative to the "
        "BUILD file; use `!` to exclude. A patch that does not apply fails the build naming the "
        "patch, the file and the hunk. Rebase the series with `pants rebase-patches`."
    )


class WitDirField(StringField):
    alias = "wit"
    default = "wit"
    help = (
        "Directory (relative to the build root) holding the WIT package the component targets, "
        "with its `deps/`. Defaults to the repository's `wit/` (`warpgrid:shim@0.1.0`)."
    )


class WorldField(StringField):
    alias = "world"
    help = (
        "The WIT world the component implements, e.g. `warpgrid:shim/http-service` (an HTTP "
        "handler driven by the HTTP trigger) or `warpgrid:shim/cli-service` (a command run by "
        "`warpgrid run`)."
    )


class ComponentOutputPathField(OutputPathField):
    help = (
        "Where `pants package` writes the component, relative to `dist/`. Defaults to "
        "`<path.to.target>/<target_name>.wasm`."
    )


# ---------------------------------------------------------------------------------------------
# wasi_libc_sysroot
# ---------------------------------------------------------------------------------------------


class WasiLibcSysrootPatchesField(PatchesField):
    pass


class WasiLibcThreadModelField(StringField):
    alias = "thread_model"
    default = "single"
    valid_choices = ("single",)
    help = "wasi-libc's THREAD_MODEL. Only `single` is supported (WASI preview 1 has no threads)."


class WasiLibcSysrootTarget(Target):
    alias = "wasi_libc_sysroot"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        UpstreamPinField,
        WasiLibcSysrootPatchesField,
        WasiLibcThreadModelField,
        OutputPathField,
    )
    help = (
        "A wasi-libc sysroot (headers, libc.a, crt1 objects) built with clang-19 from a pinned "
        "upstream source plus a patch series.\n\n"
        "The build is hermetic and byte-reproducible: the source is fetched by hash, patches are "
        "applied in order, and clang's version is part of every cache key. `pants package` writes "
        "the sysroot under `dist/`; `c_component` targets compile against it."
    )


# ---------------------------------------------------------------------------------------------
# c_component
# ---------------------------------------------------------------------------------------------


class CSourcesField(MultipleSourcesField):
    alias = "sources"
    required = True
    expected_file_extensions = (".c", ".h")
    help = "The C sources (`.c`) and private headers (`.h`) of the component."


class CSysrootField(StringField):
    alias = "sysroot"
    default = "third_party/wasi-libc:sysroot"
    help = (
        "Address of the `wasi_libc_sysroot` target to compile and link against. The patched "
        "sysroot routes DNS, virtual files, zoneinfo and database sockets through the WarpGrid "
        "shims; programs built against a stock sysroot behave as stock."
    )


class CFlagsField(StringSequenceField):
    alias = "copts"
    default = ("-O2",)
    help = "Extra flags for clang when compiling (e.g. `-DNDEBUG`). Defaults to `-O2`."


class CLinkFlagsField(StringSequenceField):
    alias = "linkopts"
    default = ()
    help = "Extra flags for clang when linking (e.g. `-Wl,--export=foo`)."


class CComponentWorldField(WorldField):
    default = "warpgrid:shim/cli-service"


class CComponentTarget(Target):
    alias = "c_component"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        CSourcesField,
        CSysrootField,
        CFlagsField,
        CLinkFlagsField,
        WitDirField,
        CComponentWorldField,
        ComponentOutputPathField,
    )
    help = (
        "A WebAssembly component built from C sources.\n\n"
        "The sources are compiled with clang-19 against a `wasi_libc_sysroot`, the WIT world's "
        "type information is embedded with the pinned wasm-tools, and the module is turned into a "
        "component with the pinned WASI preview1 adapter (command adapter for "
        "`cli-service`, reactor adapter otherwise). `pants package` writes the `.wasm`; a "
        "`warpgrid_run` target runs it."
    )


# ---------------------------------------------------------------------------------------------
# warpgrid_run
# ---------------------------------------------------------------------------------------------


class WarpgridRunComponentField(SpecialCasedDependencies):
    alias = "component"
    required = True
    help = (
        "Address of the component to run: a packageable WarpGrid component target "
        "(e.g. `:wasm`) or a `file` target holding a `.wasm` component."
    )


class WarpgridRunConfigField(SingleSourceField):
    alias = "config"
    required = False
    default = "warp.toml"
    expected_file_extensions = (".toml",)
    help = (
        "The `warp.toml` the host runs the component with (which shims are linked, DNS registry, "
        "limits, HTTP listen address, env), relative to the BUILD file. Validated before start: "
        "an unknown key or wrong type is an error naming the file and key."
    )


class WarpgridRunModeField(StringField):
    alias = "mode"
    default = "serve"
    valid_choices = ("serve", "run")
    help = (
        "`serve`: start the HTTP trigger for an `http-service` component and print "
        "`Serving http://127.0.0.1:PORT` when ready. `run`: run a `cli-service` component once, "
        "with the arguments given after `--`."
    )


class WarpgridRunArgsField(StringSequenceField):
    alias = "args"
    default = ()
    help = "Arguments always passed to the component (before those given after `--`)."


class WarpgridRunTarget(Target):
    alias = "warpgrid_run"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        WarpgridRunComponentField,
        WarpgridRunConfigField,
        WarpgridRunModeField,
        WarpgridRunArgsField,
    )
    help = (
        "Runs a WebAssembly component under the WarpGrid shim host: `pants run path:target`.\n\n"
        "The component is built (or taken from a `file` target), then started by the host "
        "(`src/python/warpgrid`) with the target's `warp.toml`: `mode=\"serve\"` serves HTTP on "
        "loopback, `mode=\"run\"` runs a command-line component. Arguments after `--` reach the "
        "component (run) or the host's `serve` command (e.g. `-- --listen 127.0.0.1:9000`)."
    )


def target_types() -> list[type[Target]]:
    return [WasiLibcSysrootTarget, CComponentTarget, WarpgridRunTarget]

