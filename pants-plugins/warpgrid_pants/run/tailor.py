"""`pants tailor` for WarpGrid: propose working component targets for unowned sources.

This is how an existing repository adopts WarpGrid (docs/ADOPTING.md): `pants tailor ::`, review
the BUILD files it writes, then `pants package` / `pants run` them. The world and run mode come
from the sources, so a proposal builds and runs as written:
  - C: a directory whose sources include `<warpgrid/http.h>` (or define `wg_handle`) is an HTTP
    handler: `c_component(world="warpgrid:shim/http-service")` served by `warpgrid_run`
    (`mode="serve"`); one that defines `main` is a command: the default `cli-service` world and
    `mode="run"`. A directory with neither is a library, not a component: nothing is proposed.
  - TypeScript/JavaScript: a directory with `package.json` and `package-lock.json` whose entry
    (`src/index.ts`, `index.ts`, ... or package.json's `module`/`main`) has a fetch-style default
    export (a hono app, `{ fetch }`) or exports `httpHandler`: `componentize_js_component`.
  - Rust: an unowned `Cargo.toml` of a `cdylib` crate (a wasm library) that depends on
    `warpgrid-sdk`, with its `Cargo.lock`: `rust_component` (http-service, served).
  - Bun: a directory whose package.json has a `bun.lock`, `bun.lockb` or `bunfig.toml` beside it,
    declares Bun (`@types/bun`, `bun-types`, `engines.bun`) or has a script that runs `bun`:
    `bun_component` (served by `warpgrid_run`, `mode="serve"`).
  - Go: an unowned `go.mod` whose directory holds a `package main` (non-test `.go` files):
    `tinygo_component` (http-service: WarpGrid's `net/http` serves what `main` registers before
    `http.ListenAndServe`), served by `warpgrid_run`. A module that is a library is left alone.
A `warpgrid_run` is proposed next to a component only when the directory has a `warp.toml` (the
run target's config).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.core.goals.tailor import (
    AllOwnedSources,
    PutativeTarget,
    PutativeTargets,
    PutativeTargetsRequest,
)
from pants.engine.fs import DigestContents, PathGlobs, Paths
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.dirutil import group_by_dir
from pants.util.logging import LogLevel

from warpgrid_pants.target_types import (
    BunComponentTarget,
    BunEntryField,
    CComponentTarget,
    ComponentizeJsComponentTarget,
    JsEntryField,
    RustComponentTarget,
    TinyGoComponentTarget,
    WarpgridRunTarget,
)

HTTP_WORLD = "warpgrid:shim/http-service"

_C_HTTP = re.compile(rb"#\s*include\s*[<\"]warpgrid/http\.h[>\"]|\bwg_handle\s*\(")
_C_MAIN = re.compile(rb"\bint\s+main\s*\(")
_JS_ENTRY_CANDIDATES = ("src/index.ts", "src/index.js", "src/index.mjs", "index.ts", "index.js", "index.mjs")
_JS_FETCH_EXPORT = re.compile(rb"export\s+default\b|export\s+(const|let|var)\s+httpHandler\b")
# `crate-type = ["cdylib"]` (any spacing, possibly among other crate types).
_CDYLIB = re.compile(r'^\s*crate-type\s*=\s*\[[^\]]*"cdylib"', re.MULTILINE)
# A Go file's package clause, after any leading comments and build constraints.
_GO_PACKAGE_MAIN = re.compile(rb"^package\s+main\b", re.MULTILINE)


@dataclass(frozen=True)
class PutativeWarpGridTargetsRequest(PutativeTargetsRequest):
    pass


def c_component_kind(contents: Iterable[bytes]) -> Optional[str]:
    """`http` for an HTTP handler, `command` for a program with main, None for neither."""
    blobs = list(contents)
    if any(_C_HTTP.search(b) for b in blobs):
        return "http"
    if any(_C_MAIN.search(b) for b in blobs):
        return "command"
    return None


def js_entry(package_json: bytes, files: dict[str, bytes]) -> Optional[str]:
    """The entry (relative to the package dir) with a fetch-style export, if the app has one."""
    try:
        manifest = json.loads(package_json or b"{}")
    except ValueError:
        manifest = {}
    declared = [manifest.get(k) for k in ("module", "main") if isinstance(manifest.get(k), str)]
    for candidate in (*_JS_ENTRY_CANDIDATES, *(os.path.normpath(d) for d in declared)):
        content = files.get(candidate)
        if content is not None and _JS_FETCH_EXPORT.search(content):
            return candidate
    return None


def is_bun_app(package_json: bytes) -> bool:
    """Bun apps declare Bun (types, engines or a `bun` script runner) in package.json."""
    try:
        manifest = json.loads(package_json or b"{}")
    except ValueError:
        return False
    deps = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
    return "@types/bun" in deps or "bun-types" in deps or "bun" in manifest.get("engines", {})


# Files beside package.json that make a directory a Bun app.
_BUN_MARKERS = ("bun.lock", "bun.lockb", "bunfig.toml")


def _runs_bun(package_json: bytes) -> bool:
    """A package script that runs `bun` (e.g. `"start": "bun run src/index.ts"`)."""
    try:
        scripts = json.loads(package_json or b"{}").get("scripts") or {}
    except (ValueError, AttributeError):
        return False
    return any(re.search(r"(^|[\s;&|(])bun(\s|$)", str(v)) for v in scripts.values())


def _is_bun_project(files: dict[str, bytes]) -> bool:
    """A Bun lockfile or config beside package.json, Bun declared in it, or a script running bun."""
    manifest = files.get("package.json", b"")
    return any(m in files for m in _BUN_MARKERS) or is_bun_app(manifest) or _runs_bun(manifest)


def is_go_main(go_files: dict[str, bytes]) -> bool:
    """A directory's non-test Go files (name -> content) form a `package main`."""
    return any(
        _GO_PACKAGE_MAIN.search(content)
        for name, content in go_files.items()
        if name.endswith(".go") and not name.endswith("_test.go")
    )


def _run_target(dirname: str, mode: str) -> PutativeTarget:
    return PutativeTarget.for_target_type(
        WarpgridRunTarget,
        path=dirname,
        name="serve" if mode == "serve" else "run",
        triggering_sources=["warp.toml"],
        kwargs={"component": ":wasm", "mode": mode},
    )


@rule(level=LogLevel.DEBUG, desc="Determine candidate WarpGrid targets to create")
async def find_putative_warpgrid_targets(
    request: PutativeWarpGridTargetsRequest, all_owned_sources: AllOwnedSources
) -> PutativeTargets:
    c_files, warp_tomls, package_jsons, manifests, go_mods = await MultiGet(
        Get(Paths, PathGlobs, request.path_globs("*.c", "*.h")),
        Get(Paths, PathGlobs, request.path_globs("warp.toml")),
        Get(Paths, PathGlobs, request.path_globs("package.json")),
        Get(Paths, PathGlobs, request.path_globs("Cargo.toml")),
        Get(Paths, PathGlobs, request.path_globs("go.mod")),
    )
    owned = set(all_owned_sources)
    dirs_with_config = {os.path.dirname(path) for path in warp_tomls.files}
    putative: list[PutativeTarget] = []

    unowned_c = sorted(set(c_files.files) - owned)
    for dirname, filenames in group_by_dir(unowned_c).items():
        if not any(name.endswith(".c") for name in filenames):
            continue
        contents = await Get(DigestContents, PathGlobs([os.path.join(dirname, f) for f in filenames]))
        kind = c_component_kind(fc.content for fc in contents)
        if kind is None:
            continue
        kwargs: dict = {"sources": tuple(sorted(filenames))}
        if kind == "http":
            kwargs["world"] = HTTP_WORLD
        putative.append(
            PutativeTarget.for_target_type(
                CComponentTarget, path=dirname, name="wasm", triggering_sources=sorted(filenames), kwargs=kwargs
            )
        )
        if dirname in dirs_with_config:
            putative.append(_run_target(dirname, "serve" if kind == "http" else "run"))

    for package_json in sorted(package_jsons.files):
        dirname = os.path.dirname(package_json)
        if package_json in owned or "node_modules" in package_json.split("/"):
            continue
        wanted = [os.path.join(dirname, c) for c in ("package.json", "package-lock.json", *_BUN_MARKERS, *_JS_ENTRY_CANDIDATES)]
        contents = await Get(DigestContents, PathGlobs(wanted))
        files = {os.path.relpath(fc.path, dirname or "."): fc.content for fc in contents}
        if _is_bun_project(files):
            # A Bun app: bun_component (entry: export default { fetch } or Bun.serve(...)).
            entry = next((c for c in _JS_ENTRY_CANDIDATES if c in files), None)
            kwargs = {} if entry in (None, BunEntryField.default) else {"entry": entry}
            putative.append(
                PutativeTarget.for_target_type(
                    BunComponentTarget, path=dirname, name="wasm", triggering_sources=[package_json], kwargs=kwargs
                )
            )
            if dirname in dirs_with_config:
                putative.append(_run_target(dirname, "serve"))
            continue
        if "package-lock.json" not in files:
            continue  # componentize_js_component installs from the npm lockfile
        entry = js_entry(files["package.json"], files)
        if entry is None:
            continue
        kwargs = {} if entry == JsEntryField.default else {"entry": entry}
        putative.append(
            PutativeTarget.for_target_type(
                ComponentizeJsComponentTarget,
                path=dirname,
                name="wasm",
                triggering_sources=[package_json],
                kwargs=kwargs,
            )
        )
        if dirname in dirs_with_config:
            putative.append(_run_target(dirname, "serve"))
    unowned_manifests = sorted(set(manifests.files) - owned)
    if unowned_manifests:
        locks = set((await Get(Paths, PathGlobs, request.path_globs("Cargo.lock"))).files)
        for fc in await Get(DigestContents, PathGlobs(unowned_manifests)):
            manifest = fc.content.decode(errors="replace")
            dirname = os.path.dirname(fc.path)
            if os.path.join(dirname, "Cargo.lock") not in locks or not _CDYLIB.search(manifest):
                continue  # rust_component builds --locked, and only a cdylib is a component
            if "warpgrid-sdk" not in manifest:
                continue  # the http-handler export comes from warpgrid-sdk; other crates target other worlds
            putative.append(
                PutativeTarget.for_target_type(
                    RustComponentTarget, path=dirname, name="wasm", triggering_sources=["Cargo.toml"]
                )
            )
            if dirname in dirs_with_config:
                putative.append(_run_target(dirname, "serve"))
    for go_mod in sorted(set(go_mods.files) - owned):
        dirname = os.path.dirname(go_mod)
        contents = await Get(DigestContents, PathGlobs([os.path.join(dirname, "*.go")]))
        if not is_go_main({os.path.basename(fc.path): fc.content for fc in contents}):
            continue  # a library module: no component of its own
        putative.append(
            PutativeTarget.for_target_type(
                TinyGoComponentTarget, path=dirname, name="wasm", triggering_sources=["go.mod"]
            )
        )
        if dirname in dirs_with_config:
            putative.append(_run_target(dirname, "serve"))
    return PutativeTargets(putative)


def rules():
    return [*collect_rules(), UnionRule(PutativeTargetsRequest, PutativeWarpGridTargetsRequest)]
