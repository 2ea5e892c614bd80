"""Every public WarpGrid target and field: the plugin's API, read by users via `pants help`.

Rules live elsewhere (upstream/, toolchains/, components/, run/); this module only declares
shapes and help text, so a reader finds the whole user-facing surface in one place.
"""

from __future__ import annotations

from typing import Iterable, Optional, Tuple, Union

from pants.core.goals.package import OutputPathField
from pants.engine.addresses import Address
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    DictStringToStringField,
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


class PatchesField(SpecialCasedDependencies):
    alias = "patches"
    help = (
        "Addresses of `files` targets holding the patch series applied to the pinned upstream, "
        "in `git format-patch` form: `patches/<upstream>/NNNN-name.patch`, e.g. "
        "`patches=[\"//patches/wasi-libc\"]` with `files(sources=[\"*.patch\"])` in "
        "`patches/wasi-libc/BUILD` (addresses, not globs: a BUILD file's sources cannot reach "
        "outside its directory). Targets apply in the order listed, each one's files in file name "
        "order. A patch that does not apply fails the build naming the patch, the file and the "
        "hunk. Rebase the series with `pants rebase-patches`."
    )


class SingleTargetField(SpecialCasedDependencies):
    """A dependency-style field naming one target; a bare address string is accepted too."""

    @classmethod
    def compute_value(
        cls, raw_value: Optional[Union[str, Iterable[str]]], address: Address
    ) -> Optional[Tuple[str, ...]]:
        raw = [raw_value] if isinstance(raw_value, str) else raw_value
        return super().compute_value(raw, address)


class WitDirField(StringField):
    alias = "wit"
    default = None
    help = (
        "Directory (relative to the build root) holding the WIT package the component targets, "
        "with its `deps/`. Unset: WarpGrid's own contract (`warpgrid:shim@0.1.0` with its WASI "
        "deps), shipped with the plugin or taken from `[warpgrid-contract].wit_dir`."
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
# c_library
# ---------------------------------------------------------------------------------------------


class CLibraryUpstreamField(UpstreamPinField):
    help = (
        "The name of the pinned upstream in `third_party/upstreams.toml` holding the library's "
        "source (version, sha256, ordered fetch sources), e.g. `postgresql` or `hiredis`. The "
        "archive is fetched by hash and extracted with the pin's `strip_prefix`."
    )


class CLibraryPatchesField(PatchesField):
    help = (
        "Addresses of `files` targets holding the patch series applied to the upstream before "
        "the build, e.g. `patches=[\"//patches/postgresql\"]` (`patches/<upstream>/NNNN-name.patch` "
        "in `git format-patch` form, applied with `patch -p1 --fuzz=0` in file name order). A patch "
        "that does not apply fails the build naming the patch, the file and the hunk. Unset: the "
        "upstream is built unmodified."
    )


class CLibraryRecipeField(SingleSourceField):
    alias = "recipe"
    default = "recipe.sh"
    expected_file_extensions = (".sh",)
    help = (
        "The build recipe, relative to the BUILD file: a `sh` file sourced by WarpGrid's "
        "`build_c_library.sh` that sets `LIBNAME` (the archive is `lib/lib$LIBNAME.a`), "
        "`SOURCES` (C files to compile, relative to the upstream tree), `HEADERS` (headers to "
        "install, each `tree-path[:include-path]`), `CFLAGS` (extra compile flags) and, for "
        "autoconf trees, `CONFIGURE_ARGS` (then `./configure --host=wasm32-unknown-wasi "
        "$CONFIGURE_ARGS` runs first, to generate headers such as `pg_config.h`)."
    )


class CLibraryOverlayField(MultipleSourcesField):
    alias = "overlay"
    default = ()
    help = (
        "WarpGrid-written files (never upstream text) copied over the patched tree before the "
        "build, e.g. replacements for headers the upstream's own make would generate. They must "
        "live under `overlay/` next to the BUILD file and land at their path below it: "
        "`overlay/src/port/pg_config_paths.h` becomes `src/port/pg_config_paths.h` in the tree. "
        "Globs are allowed: `overlay=[\"overlay/**/*\"]`."
    )


class CLibrarySysrootField(SingleTargetField):
    alias = "sysroot"
    help = (
        "Address of the `wasi_libc_sysroot` target the library compiles against. Unset: "
        "WarpGrid's built-in sysroot (the pinned wasi-libc with WarpGrid's patch series), the "
        "one a `c_component` gets when it names none. Use the same sysroot as the components "
        "that link the library."
    )


class CLibraryTarget(Target):
    alias = "c_library"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        CLibraryUpstreamField,
        CLibraryPatchesField,
        CLibraryRecipeField,
        CLibraryOverlayField,
        CLibrarySysrootField,
        OutputPathField,
    )
    help = (
        "A third-party C library (headers plus a static archive) built for wasm32-wasi from a "
        "pinned upstream source.\n\n"
        "The upstream is fetched by hash and extracted, the `patches` series is applied, the "
        "`overlay` files are copied over the tree, and WarpGrid's `build_c_library.sh` runs the "
        "`recipe` with clang-19 against the `sysroot` (an optional cross `./configure`, then the "
        "listed sources compiled and archived with `llvm-ar rcD`) in one sandboxed Process with "
        "an explicit environment. The result, `include/**` and `lib/lib<name>.a`, is "
        "byte-reproducible and cacheable locally and remotely. `c_component` targets link it "
        "through their `libraries` field; `pants package` writes `include/` and `lib/` under "
        "`dist/`."
    )


# ---------------------------------------------------------------------------------------------
# c_component
# ---------------------------------------------------------------------------------------------


class CSourcesField(MultipleSourcesField):
    alias = "sources"
    required = True
    expected_file_extensions = (".c", ".h")
    help = "The C sources (`.c`) and private headers (`.h`) of the component."


class CSysrootField(SingleTargetField):
    alias = "sysroot"
    help = (
        "Address of the `wasi_libc_sysroot` target to compile and link against (a dependency, "
        "like `patches`: it is built first, and a change to it rebuilds the component). Unset: "
        "WarpGrid's built-in sysroot, the pinned wasi-libc with WarpGrid's patch series. The patched "
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
    help = (
        "Extra flags for clang when linking (e.g. `-Wl,--export=foo`). Compiling and linking are "
        "one clang run: these come last, after the sources, the `libraries` archives and the "
        "shim switches (`copts` come before the sources)."
    )


class CShimsField(StringSequenceField):
    alias = "shims"
    default = ("all",)
    valid_choices = ("all", "dns", "filesystem", "database_proxy")
    help = (
        "Which WarpGrid shims the patched libc may call: `all`, or any of `dns` (getaddrinfo & "
        "co.), `filesystem` (open/fopen of virtual paths, zoneinfo), `database_proxy` "
        "(socket/connect to database endpoints). Each links libc's opt-in member "
        "(`-Wl,-u,__warpgrid_shim_<name>`); only imports the program reaches end up in the "
        "component. `shims=[]` builds a stock program: no `warpgrid:*` imports, stock wasi-libc "
        "behaviour. With a sysroot lacking the WarpGrid patches the default is ignored."
    )


class CLibrariesField(SpecialCasedDependencies):
    alias = "libraries"
    help = (
        "Addresses of `c_library` targets the component links, e.g. "
        "`libraries=[\"//third_party/libpq\"]`. Each is built first (a change to it rebuilds the "
        "component); its `include/` is added to every compile with `-isystem`, and its archives "
        "follow the sources on the link line, in the order listed (list a library before the "
        "libraries it uses)."
    )


class CComponentWorldField(WorldField):
    default = "warpgrid:shim/cli-service"


class CComponentTarget(Target):
    alias = "c_component"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        CSourcesField,
        CSysrootField,
        CLibrariesField,
        CFlagsField,
        CLinkFlagsField,
        CShimsField,
        WitDirField,
        CComponentWorldField,
        ComponentOutputPathField,
    )
    help = (
        "A WebAssembly component built from C sources.\n\n"
        "The sources are compiled with clang-19 against a `wasi_libc_sysroot`, the WIT world's "
        "type information is embedded with the pinned wasm-tools, and the module is turned into a "
        "component with the pinned WASI preview1 (reactor) adapter; for a `cli-service` world a "
        "generated export of `wasi:cli/run` calls `main`. Third-party C libraries (`c_library` "
        "targets) are linked through `libraries`. `pants package` writes the `.wasm`; a "
        "`warpgrid_run` target runs it."
    )


# ---------------------------------------------------------------------------------------------
# componentize_js_component
# ---------------------------------------------------------------------------------------------


# The sources of a JS-family app (ComponentizeJS, Bun), below `src/`.
JS_SOURCE_GLOBS = ("src/**/*.ts", "src/**/*.tsx", "src/**/*.js", "src/**/*.mjs")


class JsComponentSourcesField(MultipleSourcesField):
    alias = "sources"
    default = (*JS_SOURCE_GLOBS, "package.json", "package-lock.json", "tsconfig.json")
    expected_file_extensions = (".ts", ".tsx", ".js", ".mjs", ".json")
    help = (
        "The application: its TypeScript/JavaScript sources, its `package.json`, its "
        "`package-lock.json` (npm lockfile v2/v3: the integrity hashes pin every dependency, "
        "installed with `npm ci`) and its `tsconfig.json` (type-checked with `tsc --noEmit`). "
        "`package.json` and `package-lock.json` are required and must sit next to the BUILD file."
    )


class EntryField(StringField):
    """The entry module of a JS-family app (ComponentizeJS, Bun), relative to the BUILD file."""

    alias = "entry"
    default = "src/index.ts"


class JsEntryField(EntryField):
    help = (
        "The entry module (TS or JS), relative to the BUILD file. It must export the world's "
        "exports; for `warpgrid:shim/http-service`: "
        "`export const httpHandler = serve(app)` with `serve` from `@warpgrid/sdk/http`. "
        "Module top-level code runs at build time (Wizer snapshot): no host calls there."
    )


class JsComponentWorldField(WorldField):
    default = "warpgrid:shim/http-service"


class JsEnableFeaturesField(StringSequenceField):
    alias = "enable_features"
    default = ()
    valid_choices = ("http", "fetch-event")
    help = (
        "ComponentizeJS features to keep. Both are off by default: `http` (guest `fetch()` "
        "through `wasi:http`: the component then imports wasi:http and the host must provide "
        "it) and `fetch-event` (the `wasi:http/incoming-handler` export driven by a fetch "
        "event listener)."
    )


class ComponentizeJsComponentTarget(Target):
    alias = "componentize_js_component"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        JsComponentSourcesField,
        JsEntryField,
        JsComponentWorldField,
        WitDirField,
        JsEnableFeaturesField,
        ComponentOutputPathField,
    )
    help = (
        "A WebAssembly component built from a TypeScript/JavaScript app with the pinned, "
        "patched ComponentizeJS (StarlingMonkey).\n\n"
        "Steps, each a cached Process: the pinned toolchain (`third_party/js/componentize`: "
        "ComponentizeJS, esbuild, TypeScript) is installed with `npm ci` from its lockfile and "
        "patched with `patches/componentize-js/`, and its engine is made deterministic (once per "
        "pin, shared by every app); the app's dependencies are installed with `npm ci` from its "
        "`package-lock.json`; `tsc --noEmit` type-checks the app (a type error fails the build "
        "naming the file and line); esbuild bundles the entry into one ESM module "
        "(`@warpgrid/sdk` resolves to `src/js/sdk`); ComponentizeJS turns it into a component "
        "for the WIT world, validated with the pinned wasm-tools. Two clean builds give "
        "byte-identical components. `pants package` writes the `.wasm`; a `warpgrid_run` target "
        "serves it."
    )


# ---------------------------------------------------------------------------------------------
# warpgrid_run
# ---------------------------------------------------------------------------------------------


class WarpgridRunComponentField(SingleTargetField):
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


# ---------------------------------------------------------------------------------------------
# rust_component
# ---------------------------------------------------------------------------------------------


class RustComponentSourcesField(MultipleSourcesField):
    alias = "sources"
    default = ("Cargo.toml", "Cargo.lock", "src/**/*.rs")
    expected_file_extensions = (".toml", ".lock", ".rs")
    help = (
        "The Cargo package: its `Cargo.toml` (a `[lib]` with `crate-type = [\"cdylib\"]`), its "
        "`Cargo.lock` (every crate is vendored from it and the build runs `--locked --offline`), "
        "and its Rust sources. "
        "`Cargo.toml` and `Cargo.lock` are required and must sit next to the BUILD file."
    )


class RustComponentWorldField(WorldField):
    default = "warpgrid:shim/http-service"


class RustFlagsField(StringSequenceField):
    alias = "rustflags"
    default = ()
    help = (
        "Extra rustc flags for every crate of the build, e.g. `[\"--cfg\", \"tokio_unstable\"]` "
        "(tokio's `net`, which redis' `tokio-comp` turns on, builds for wasm32-wasip2 only with "
        "it). Use this rather than `.cargo/config.toml`: Pants ignores dot-directories, so that "
        "file never reaches the build sandbox."
    )


class RustComponentTarget(Target):
    alias = "rust_component"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        RustComponentSourcesField,
        RustComponentWorldField,
        RustFlagsField,
        WitDirField,
        ComponentOutputPathField,
    )
    help = (
        "A WebAssembly component built from a Cargo package with the pinned Rust toolchain "
        "(`rust-toolchain.toml`: channel and the wasm32-wasip2 target; installed with rustup).\n\n"
        "Steps, each a cached Process: `cargo vendor --locked` fetches the crates of the "
        "package's `Cargo.lock` (keyed by the manifests and the lockfile only); `cargo build "
        "--locked --offline --release --target wasm32-wasip2` compiles from the vendored crates "
        "with paths remapped and one codegen unit, and rustc's linker emits the component; the "
        "pinned wasm-tools validates it and checks the world's export. The `warpgrid-sdk` crate "
        "(`src/rust/warpgrid-sdk`, a path dependency) generates the `warpgrid:shim` bindings "
        "from `wit/` and exports an axum Router or any tower Service with "
        "`warpgrid_sdk::http_service!(app())`; its `db::DbStream` carries tokio-postgres and "
        "redis through the database proxy. Two clean builds give byte-identical components. "
        "`pants package` writes the `.wasm`; serve it with a `warpgrid_run` target."
    )


# ---------------------------------------------------------------------------------------------
# bun_component
# ---------------------------------------------------------------------------------------------


class BunComponentSourcesField(MultipleSourcesField):
    alias = "sources"
    default = (*JS_SOURCE_GLOBS, "src/**/*.jsx", "package.json", "bun.lock", "tsconfig.json", "bunfig.toml")
    expected_file_extensions = (".ts", ".tsx", ".js", ".mjs", ".jsx", ".json", ".lock", ".toml")
    help = (
        "The Bun application: its TypeScript/JavaScript sources, its `package.json` and its "
        "`bun.lock` (Bun's text lockfile: sha512 integrity of every package; installed with the "
        "pinned Bun, `bun install --frozen-lockfile --ignore-scripts`). `package.json` is required "
        "next to the BUILD file; `bun.lock` is required when package.json has dependencies "
        "(convert a binary `bun.lockb` with `bun install --save-text-lockfile`)."
    )


class BunEntryField(EntryField):
    help = (
        "The Bun entry module, relative to the BUILD file: it serves the way Bun does, with "
        "`export default { fetch }` (any object with a `fetch` method, e.g. a hono app) or a "
        "`Bun.serve({ fetch, routes })` call. The WarpGrid bundler plugin turns that into the "
        "http-handler export and replaces `Bun.env`, `Bun.file`, `Bun.sleep` and `Bun.serve` with "
        "WASI/shim-backed polyfills, so the code runs unchanged natively and in the component. The "
        "app loads at the first request (not at build time), so top-level code may read `Bun.env`."
    )


class BunComponentWorldField(WorldField):
    default = "warpgrid:shim/http-service"


class BunComponentTarget(Target):
    alias = "bun_component"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        BunComponentSourcesField,
        BunEntryField,
        BunComponentWorldField,
        WitDirField,
        JsEnableFeaturesField,
        ComponentOutputPathField,
    )
    help = (
        "A WebAssembly component built from a Bun service: dependencies installed from `bun.lock` "
        "by the pinned Bun (`third_party/upstreams.toml` [bun]), one ESM bundle made by `bun build "
        "--target=browser --format=esm` with the WarpGrid Bun plugin (`src/js/bun-sdk`), then the "
        "shared ComponentizeJS toolchain (the same engine and recipe as "
        "`componentize_js_component`). Byte-reproducible; every step is a cacheable Process. "
        "`@warpgrid/bun-sdk` gives the app Postgres (`createPool`), `dns` and `fs` that work natively "
        "under bun and in the component. See docs/domains/06-bun.md."
    )


# ---------------------------------------------------------------------------------------------
# warpgrid_deployment
# ---------------------------------------------------------------------------------------------


class WarpgridDeploymentServicesField(SpecialCasedDependencies):
    alias = "services"
    required = True
    help = (
        "The `warpgrid_run` targets (mode `serve`) that make up the deployment. Each becomes a "
        "service named after its target (`warpgrid_run(name=\"users\", ...)` -> "
        "`users.<namespace>.warp.local`), run with its own component and `warp.toml`."
    )


class WarpgridDeploymentNamespaceField(StringField):
    alias = "namespace"
    required = False
    help = (
        "The namespace label of every service's name (`<service>.<namespace>.warp.local`); "
        "defaults to this target's name. Lowercase letters, digits and `-`."
    )


class WarpgridDeploymentListenField(DictStringToStringField):
    alias = "listen"
    help = (
        "Which services are reachable from outside and where: service name -> loopback "
        "`HOST:PORT` (port 0 picks a free port), e.g. `{\"gateway\": \"127.0.0.1:8080\"}`. The "
        "others are reached only by other services, through `warpgrid:shim/http-client`."
    )


class WarpgridDeploymentReplicasField(DictStringToStringField):
    alias = "replicas"
    help = (
        "Instances per service (default 1): service name -> count as a string, e.g. "
        "`{\"users\": \"2\"}`. Calls to the service's name go round robin over them."
    )


class WarpgridDeploymentTarget(Target):
    alias = "warpgrid_deployment"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        WarpgridDeploymentServicesField,
        WarpgridDeploymentNamespaceField,
        WarpgridDeploymentListenField,
        WarpgridDeploymentReplicasField,
    )
    help = (
        "Several `warpgrid_run` services as one unit: `pants run path:target` builds every "
        "component and starts them all in one host process (`warpgrid deploy`), with one log "
        "stream prefixed per service. Each service is registered as "
        "`<name>.<namespace>.warp.local` in every service's DNS shim; a service calls another "
        "with its language's HTTP client when its `warp.toml` lists the name under "
        "`[http_client] allow`. Ctrl-C delivers `interrupt` to live instances, then stops them "
        "all; SIGHUP re-reads the `[http_client] allow` lists and delivers `hangup`."
    )


# ---------------------------------------------------------------------------------------------
# tinygo_toolchain, tinygo_component
# ---------------------------------------------------------------------------------------------


class TinyGoUpstreamField(UpstreamPinField):
    required = False
    default = "tinygo"
    help = (
        "The pinned TinyGo source (a Go module zip in `third_party/upstreams.toml`). WarpGrid's "
        "`net`, `net/http` and shim packages are written for TinyGo 0.37 (`[tinygo]`)."
    )


class TinyGoGoUpstreamField(StringField):
    alias = "go_upstream"
    default = "go-toolchain"
    help = (
        "The pinned Go toolchain (the go command's own `golang.org/toolchain` module in "
        "`third_party/upstreams.toml`) that builds `tinygo` and becomes the GOROOT it compiles "
        "against. TinyGo 0.37 accepts Go 1.19 through 1.24 (`[go-toolchain]` is 1.24.11)."
    )


class TinyGoPatchesField(PatchesField):
    help = (
        "Addresses of `files` targets holding the patch series applied to the TinyGo tree, in "
        "`git format-patch` form (e.g. `patches=[\"//patches/tinygo\"]`). Unset: WarpGrid's own "
        "series (`patches/tinygo/*.patch`, shipped with the plugin): the prebuilt compiler-rt "
        "builtins and the `warpgrid/` packages in TINYGOROOT. Targets apply in the order listed, "
        "each one's files in file name order; a patch that does not apply fails the build naming "
        "the patch, the file and the hunk. Rebase the series with `pants rebase-patches`."
    )


class TinyGoWasiLibcField(SingleTargetField):
    alias = "wasi_libc"
    help = (
        "Address of the `wasi_libc_sysroot` target whose patched source (its `upstream` plus its "
        "`patches`) TinyGo's libc is built from, with TinyGo's own recipe (`MALLOC_IMPL=none`: "
        "TinyGo brings its allocator). Unset: WarpGrid's built-in wasi-libc (the `wasi-libc` pin "
        "with WarpGrid's series), the source a `c_component`'s built-in sysroot comes from."
    )


class TinyGoToolchainTarget(Target):
    alias = "tinygo_toolchain"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        TinyGoUpstreamField,
        TinyGoGoUpstreamField,
        TinyGoPatchesField,
        TinyGoWasiLibcField,
        OutputPathField,
    )
    help = (
        "A TinyGo toolchain (a TINYGOROOT: `bin/tinygo`, `src/`, `targets/`, `lib/`, and the Go "
        "tree as `go/`) built from pinned sources, for `tinygo_component` targets.\n\n"
        "Steps, each a cacheable, byte-reproducible Process: the TinyGo module (`upstream`) is "
        "fetched by hash and patched (`patches`); its own Go module dependencies are downloaded "
        "once, verified against its go.sum (the only networked step); `tinygo` is built with the "
        "pinned Go (`go_upstream`) against the host's LLVM 19 (Debian `llvm-19-dev`, "
        "`libclang-19-dev`); WarpGrid's `net`, `net/http` and `warpgrid/` packages are laid over "
        "`src/`; wasi-libc is built from the patched source of `wasi_libc`, and Debian's prebuilt "
        "`libclang_rt.builtins-wasm32.a` is the compiler-rt. The versions of clang-19, "
        "llvm-config-19, wasm-ld-19 and wasm-opt are part of every cache key. HOME, GOCACHE and "
        "XDG_CACHE_HOME live in the sandbox. A `tinygo_component` that names no toolchain gets "
        "WarpGrid's built-in one (these defaults). `pants package` writes the TINYGOROOT under "
        "`dist/` (about 280 MB)."
    )


class TinyGoComponentSourcesField(MultipleSourcesField):
    alias = "sources"
    default = ("go.mod", "go.sum", "**/*.go", "!**/*_test.go")
    expected_file_extensions = (".go", ".mod", ".sum")
    help = (
        "The Go module: its `go.mod` (required, next to the BUILD file), its `go.sum` (required "
        "when go.mod has requirements: every module is downloaded and verified against it, and "
        "the build runs with GOPROXY=off), and the Go sources of the main package and of any "
        "package of the module it imports."
    )


class TinyGoComponentWorldField(WorldField):
    default = "warpgrid:shim/http-service"


class TinyGoToolchainField(SingleTargetField):
    alias = "toolchain"
    help = (
        "Address of the `tinygo_toolchain` target that compiles the component. Unset: WarpGrid's "
        "built-in toolchain (TinyGo `[tinygo]` with WarpGrid's patches, Go `[go-toolchain]`, the "
        "built-in wasi-libc)."
    )


class TinyGoPackageField(StringField):
    alias = "package"
    default = "."
    help = (
        "The main package to build, relative to the module directory (the BUILD file's "
        "directory), e.g. `./cmd/server`. It must be `package main`; for an http-service its "
        "`main` calls `http.ListenAndServe` (WarpGrid's `net/http` registers the handler with "
        "the HTTP trigger)."
    )


class TinyGoOptField(StringField):
    alias = "opt"
    default = "z"
    valid_choices = ("0", "1", "2", "s", "z")
    help = "TinyGo's `-opt` level: `z` (smallest, the default), `s`, `2`, `1` or `0`."


class TinyGoSchedulerField(StringField):
    alias = "scheduler"
    default = "asyncify"
    valid_choices = ("asyncify", "none")
    help = (
        "TinyGo's `-scheduler`. `asyncify` (the default) gives goroutines, channels and timers; "
        "WarpGrid's `net/http` runs handlers on goroutines and needs it. `none` is smaller and "
        "suits a `cli-service` without goroutines."
    )


class TinyGoGcField(StringField):
    alias = "gc"
    default = None
    valid_choices = ("conservative", "precise", "leaking", "none")
    help = (
        "TinyGo's `-gc`. Unset: the wasip1 target's default (`precise`). `leaking` never frees: "
        "for an http-service component, which gets a fresh instance per request, it is the "
        "fastest choice as long as one request's allocations fit `[limits] memory_mb` "
        "(test-apps/go-http-server: a 1 MiB echo 65 -> 18 ms); a long-running `wasi:cli/run` "
        "program should keep a collecting GC."
    )


class TinyGoComponentTarget(Target):
    alias = "tinygo_component"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        TinyGoComponentSourcesField,
        TinyGoComponentWorldField,
        TinyGoToolchainField,
        TinyGoPackageField,
        TinyGoOptField,
        TinyGoSchedulerField,
        TinyGoGcField,
        WitDirField,
        ComponentOutputPathField,
    )
    help = (
        "A WebAssembly component built from a Go module's main package with TinyGo (a "
        "`tinygo_toolchain`).\n\n"
        "Steps, each a cached Process: `go mod download` + `go mod verify` of the module's "
        "go.sum (keyed by go.mod and go.sum only: editing a source file does not refetch; the "
        "only networked step); `tinygo build -target=wasip1 -buildmode=c-shared -no-debug` "
        "offline (GOPROXY=off, GOFLAGS=-mod=readonly, every cache inside the sandbox) into a "
        "core module; the pinned wasm-tools embeds the world and adapts WASI preview1 with the "
        "pinned reactor adapter, validates the component and checks the world's export. "
        "Services use the standard library: `net/http` handlers (`http.HandleFunc`, "
        "`http.ServeMux` with method and `{name}` patterns, `http.ListenAndServe`) serve the "
        "http-handler export, and `net.Dial` to a database port goes through the database proxy. "
        "Two clean builds give byte-identical components. `pants package` writes the `.wasm`; "
        "serve it with a `warpgrid_run` target. See docs/domains/03-tinygo.md."
    )


def target_types() -> list[type[Target]]:
    return [
        WasiLibcSysrootTarget,
        CLibraryTarget,
        CComponentTarget,
        ComponentizeJsComponentTarget,
        RustComponentTarget,
        BunComponentTarget,
        TinyGoToolchainTarget,
        TinyGoComponentTarget,
        WarpgridRunTarget,
        WarpgridDeploymentTarget,
    ]

