"""`tinygo_component`: a Go module's main package -> a validated WebAssembly component.

Per target, cacheable Processes with an explicit env (remote-cache friendly, byte-reproducible):
  1. download: `go mod download` + `go mod verify` of the module's go.sum with the pinned Go
     (toolchains/tinygo.py `GoModDownloadRequest`). Its inputs are go.mod and go.sum only, so
     editing a source file does not refetch; the only networked Go step. Skipped when go.mod has
     no requirements.
  2. build: `tinygo build -target=wasip1 -buildmode=c-shared -no-debug` offline (GOPROXY=off,
     GOFLAGS=-mod=readonly; HOME, GOCACHE and XDG_CACHE_HOME in the sandbox) with the target's
     `tinygo_toolchain` mounted read-only (scripts/build_go_component.sh, core module only).
     WarpGrid's `net/http` in the TINYGOROOT exports `warpgrid:shim/http-handler`.
  3. `componentize` embeds the world and adapts WASI preview1 with the pinned reactor adapter;
     `finalize` validates it, checks the world's export and places it at the output path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pants.engine.fs import AddPrefix, CreateDigest, Digest, DigestContents, DigestSubset, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.components.componentize import CORE_MODULE, CoreModule
from warpgrid_pants.components.pipeline import ComponentFieldSet, CoreModuleStep
from warpgrid_pants.components.world import ComponentBuildError, WitWorld
from warpgrid_pants.target_types import (
    TinyGoComponentSourcesField,
    TinyGoGcField,
    TinyGoOptField,
    TinyGoPackageField,
    TinyGoSchedulerField,
    TinyGoToolchainField,
)
from warpgrid_pants.toolchains.script_build import BUILD_TIMEOUT_SECONDS
from warpgrid_pants.toolchains.system_tools import SystemTools, SystemToolsRequest, plugin_scripts, step_failure
from warpgrid_pants.toolchains.tinygo import (
    EMPTY_MODCACHE,
    GoModCache,
    GoModDownloadRequest,
    HostPackages,
    TinyGoToolchain,
    TinyGoToolchainRequest,
)

BUILD_SCRIPT = "build_go_component.sh"
TOOLCHAIN_MOUNT = "__warpgrid_tinygoroot"
MODCACHE_DIR = "__warpgrid_gomodcache"
# What tinygo runs besides itself: the linker, binaryen's wasm-opt (asyncify), clang-19 and
# llvm-config-19 (LLVM's version: tinygo links libLLVM-19); the script's shell utilities.
BUILD_TOOLS = (
    "bash", "clang-19", "llvm-config-19", "wasm-ld-19", "wasm-opt",
    "cat", "cp", "dirname", "env", "grep", "mkdir", "rm", "wc",
)
# TinyGo interprets package initializers at compile time; Go 1.24's crypto init needs minutes on
# a busy machine, beyond TinyGo's 3m default (docs/domains/03-tinygo.md).
INTERP_TIMEOUT = "30m"
_REQUIRE = re.compile(rb"^\s*require\b", re.MULTILINE)


class TinyGoBuildRequest(CoreModuleStep):
    """Download + build of one Go main package into a core module at `CORE_MODULE`."""


@dataclass(frozen=True)
class TinyGoComponentFieldSet(ComponentFieldSet):
    required_fields = (TinyGoComponentSourcesField,)
    step = TinyGoBuildRequest

    toolchain: TinyGoToolchainField
    package: TinyGoPackageField
    opt: TinyGoOptField
    scheduler: TinyGoSchedulerField
    gc: TinyGoGcField
    export_help = (
        "the main package must serve with WarpGrid's net/http: register handlers "
        "(`http.HandleFunc`, an `http.ServeMux`) and call `http.ListenAndServe` from `main`"
    )


@rule(desc="Building a Go package with TinyGo", level=LogLevel.DEBUG)
async def tinygo_build_core_module(request: TinyGoBuildRequest) -> CoreModule:
    field_set, address, app_dir, app_path = request.field_set, request.address, request.app_dir, request.app_path
    request.require_sources(("go.mod",), "the component is built from the Go module there; create it with `go mod init`")
    files = set(request.sources.files)
    manifests = await Get(
        Digest, DigestSubset(request.sources.digest, PathGlobs([app_path("go.mod"), app_path("go.sum")]))
    )
    go_mod = [fc for fc in await Get(DigestContents, Digest, manifests) if fc.path == app_path("go.mod")]
    has_requirements = bool(_REQUIRE.search(go_mod[0].content))
    if has_requirements and app_path("go.sum") not in files:
        raise ComponentBuildError(
            f"{address}: {app_path('go.mod')} has requirements but `sources` holds no go.sum: run "
            "`go mod tidy` there and add go.sum (every module is verified against it)"
        )

    # Checked first: a misconfigured target fails at once, before a toolchain build of minutes.
    toolchain, tools, packages = await MultiGet(
        Get(TinyGoToolchain, TinyGoToolchainRequest(field_set.toolchain)),
        Get(SystemTools, SystemToolsRequest(BUILD_TOOLS, rationale="build Go components with TinyGo")),
        Get(HostPackages),
    )

    # 1. Download the modules, keyed by go.mod + go.sum only.
    modcache = EMPTY_MODCACHE
    if has_requirements:
        modcache = await Get(
            GoModCache,
            GoModDownloadRequest(
                toolchain.go,
                manifests,
                app_dir,
                f"Download the Go modules of {address} (go mod download, verified against go.sum)",
                str(address),
            ),
        )

    # 2. Build offline with the toolchain mounted read-only.
    script = await Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", BUILD_SCRIPT))
    modcache_input = await Get(Digest, AddPrefix(modcache.digest, MODCACHE_DIR))
    build_input = await Get(Digest, MergeDigests([request.sources.digest, modcache_input, script]))
    env = {
        "HOME": "{chroot}/.home",
        "XDG_CACHE_HOME": "{chroot}/.home/.cache",
        "GOCACHE": "{chroot}/.home/.cache/go-build",
        "TINYGOROOT": f"{{chroot}}/{TOOLCHAIN_MOUNT}",
        "SRC": f"{{chroot}}/{app_dir or '.'}",
        "PKG": field_set.package.value or TinyGoPackageField.default,
        "CORE_OUT": f"{{chroot}}/{CORE_MODULE}",
        "WORK": "{chroot}/__warpgrid_work",
        "OPT": field_set.opt.value or TinyGoOptField.default,
        "SCHEDULER": field_set.scheduler.value or TinyGoSchedulerField.default,
        "INTERP_TIMEOUT": INTERP_TIMEOUT,
        "WARPGRID_HOST_PACKAGES": packages.versions,
        "WARPGRID_TINYGO": toolchain.label,
    }
    if has_requirements:
        env["GOMODCACHE"] = f"{{chroot}}/{MODCACHE_DIR}"
    if field_set.gc.value:
        env["GC"] = field_set.gc.value
    built = await Get(
        FallibleProcessResult,
        Process(
            argv=(tools.path("bash"), BUILD_SCRIPT),
            description=f"Build {address} (tinygo build -target=wasip1 -buildmode=c-shared)",
            level=LogLevel.INFO,
            input_digest=build_input,
            immutable_input_digests={**tools.immutable_input_digests, TOOLCHAIN_MOUNT: toolchain.digest},
            env=tools.env(env),
            output_files=(CORE_MODULE,),
            timeout_seconds=BUILD_TIMEOUT_SECONDS,
        ),
    )
    if built.exit_code != 0:
        raise ComponentBuildError(step_failure(address, f"tinygo build of {app_dir or '.'}", built))
    return CoreModule(address, built.output_digest, f"tinygo build of {app_dir or '.'}")


def rules():
    return [*collect_rules(), *TinyGoComponentFieldSet.rules()]
