"""The files WarpGrid ships with the plugin: the WIT contract, pins, patch series, SDKs, headers.

An adopting repository holds none of them: they come from the installed `warpgrid-pants` wheel
(package data under `warpgrid_pants/_contract/`, laid out like the WarpGrid repository). Each can
be overridden by a `[warpgrid-contract]` option naming a directory of the repository instead
(the pins by `[warpgrid-upstreams].pins_file`). When the plugin runs from a source checkout (the
WarpGrid repository's own `pythonpath`), it has no package data and reads each item from its
canonical path in the build root, so editing e.g. `wit/shim.wit` there takes effect at once.

Whichever the source, `ContractFilesRequest(item)` yields the files at the same canonical paths
(e.g. `wit/shim.wit`, `src/js/sdk/src/http.ts`), so every rule downstream is the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from pants.engine.fs import AddPrefix, CreateDigest, Digest, FileContent, PathGlobs, RemovePrefix, Snapshot
from pants.engine.rules import Get, collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem
from pants.util.logging import LogLevel

# The package-data directory the wheel carries (filled at packaging time, see BUILD).
PACKAGE_DATA = "_contract"


@dataclass(frozen=True)
class ContractItem:
    name: str
    canonical: str  # directory in the WarpGrid repository and inside the package data
    globs: tuple[str, ...]  # relative to `canonical`
    option: str  # the `[warpgrid]` option that overrides it
    what: str


ITEMS = {
    item.name: item
    for item in (
        ContractItem("wit", "wit", ("**/*.wit",), "wit_dir", "the WIT contract (warpgrid:shim and its WASI deps)"),
        ContractItem("patches", "patches", ("*/*.patch",), "patches_dir", "the patch series, one directory per upstream"),
        ContractItem("js-sdk", "src/js/sdk", ("src/**/*.ts", "package.json", "tsconfig.json"), "js_sdk_dir", "the `@warpgrid/sdk` TypeScript sources"),
        ContractItem(
            "componentize-js",
            "third_party/js/componentize",
            ("package.json", "package-lock.json"),
            "componentize_js_dir",
            "the ComponentizeJS toolchain's package.json and lockfile",
        ),
        ContractItem("c-include", "src/c/warpgrid/include", ("**/*.h",), "c_include_dir", "the C SDK headers (`warpgrid/http.h`)"),
        ContractItem(
            "bun-sdk",
            "src/js/bun-sdk",
            ("src/**/*.ts", "src/**/*.js", "package.json"),
            "bun_sdk_dir",
            "the `@warpgrid/bun-sdk` sources (Bun API polyfills and the bundler plugin)",
        ),
        ContractItem("rust-sdk", "src/rust/warpgrid-sdk", ("Cargo.toml", "src/**/*.rs"), "rust_sdk_dir", "the `warpgrid-sdk` Rust crate"),
        ContractItem(
            "tinygo-overlay",
            "src/go/tinygoroot",
            ("**/*.go",),
            "tinygo_overlay_dir",
            "WarpGrid's Go packages laid over TINYGOROOT/src (`net`, `net/http`, `warpgrid/`)",
        ),
    )
}


class ContractError(Exception):
    """A contract file is missing from the plugin or from the directory an option names."""


def _package_root() -> Optional[str]:
    """The installed package-data directory, or None when running from a source checkout (where
    `_contract/` holds symlinks into the repository, for packaging only)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), PACKAGE_DATA)
    installed = os.path.isdir(root) and not os.path.islink(os.path.join(root, "wit"))
    return root if installed else None


def has_package_data() -> bool:
    return _package_root() is not None


def read_package_data(canonical: str, *, what: str, option: str) -> list[FileContent]:
    """Files shipped under `_contract/<canonical>` (a file or a directory), at canonical paths."""
    root = _package_root()
    if root is None:
        raise ContractError(
            f"`{option}` is not set and this warpgrid-pants carries no {what} (it runs from a "
            f"source checkout, not from its wheel): set `{option}` to the path in this "
            f"repository that holds them, e.g. `{canonical}`."
        )
    base = os.path.join(root, canonical)
    files: list[FileContent] = []
    if os.path.isfile(base):
        with open(base, "rb") as f:
            files.append(FileContent(canonical, f.read()))
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                files.append(FileContent(os.path.relpath(path, root).replace(os.sep, "/"), f.read()))
    if not files:
        raise ContractError(f"The installed warpgrid-pants lacks {what} ({base}): reinstall it.")
    return files


class WarpGridContractSubsystem(Subsystem):
    options_scope = "warpgrid-contract"
    help = (
        "Where WarpGrid's shipped files come from: the WIT contract, the upstream pins, the patch "
        "series, the JS, Bun and Rust SDKs, the ComponentizeJS lockfile, the C SDK headers and the "
        "TinyGo overlay. By default each "
        "comes from the installed warpgrid-pants wheel; an option naming a path of this "
        "repository uses that instead (e.g. to try a patched WIT, or in the WarpGrid repository "
        "itself)."
    )

    wit_dir = StrOption(default=None, help=f"Directory holding {ITEMS['wit'].what}, with `deps/` (e.g. `wit`).")
    patches_dir = StrOption(default=None, help=f"Directory holding {ITEMS['patches'].what} (e.g. `patches`).")
    js_sdk_dir = StrOption(default=None, help=f"Directory holding {ITEMS['js-sdk'].what} (e.g. `src/js/sdk`).")
    componentize_js_dir = StrOption(default=None, help=f"Directory holding {ITEMS['componentize-js'].what} (e.g. `third_party/js/componentize`).")
    c_include_dir = StrOption(default=None, help=f"Directory holding {ITEMS['c-include'].what} (e.g. `src/c/warpgrid/include`).")
    bun_sdk_dir = StrOption(default=None, help=f"Directory holding {ITEMS['bun-sdk'].what} (e.g. `src/js/bun-sdk`).")
    rust_sdk_dir = StrOption(default=None, help=f"Directory holding {ITEMS['rust-sdk'].what} (e.g. `src/rust/warpgrid-sdk`).")
    tinygo_overlay_dir = StrOption(default=None, help=f"Directory holding {ITEMS['tinygo-overlay'].what} (e.g. `src/go/tinygoroot`).")

    def override(self, item: ContractItem) -> Optional[str]:
        return getattr(self, item.option)


@dataclass(frozen=True)
class ContractFilesRequest:
    item: str  # a key of ITEMS


@dataclass(frozen=True)
class ContractFiles:
    """The item's files at their canonical paths (under `ITEMS[item].canonical`)."""

    digest: Digest
    files: tuple[str, ...]
    source: str  # where they came from, for messages


@rule(desc="Reading WarpGrid's contract files", level=LogLevel.DEBUG)
async def contract_files(request: ContractFilesRequest, subsystem: WarpGridContractSubsystem) -> ContractFiles:
    item = ITEMS[request.item]
    override = subsystem.override(item)
    if override is None and _package_root() is None:
        # A source checkout of the plugin: the WarpGrid repository itself, which holds every
        # contract file at its canonical path (read through the engine, so edits invalidate).
        override = item.canonical
    if override is None:
        digest = await Get(
            Digest,
            CreateDigest(
                read_package_data(
                    item.canonical, what=item.what, option=f"[warpgrid-contract].{item.option}"
                )
            ),
        )
        source = f"the installed warpgrid-pants ({PACKAGE_DATA}/{item.canonical})"
    else:
        path = os.path.normpath(override.strip())
        if os.path.isabs(path) or path == ".." or path.startswith("../"):
            raise ContractError(
                f"`[warpgrid-contract].{item.option}={override!r}` must be relative to the build root."
            )
        globs = [f"{path}/{g}" for g in item.globs]
        found = await Get(
            Snapshot,
            PathGlobs(
                globs,
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"`[warpgrid-contract].{item.option}` ({item.what})",
            ),
        )
        digest = found.digest
        if path != item.canonical:
            digest = await Get(Digest, RemovePrefix(digest, path))
            digest = await Get(Digest, AddPrefix(digest, item.canonical))
        source = path
    snapshot = await Get(Snapshot, Digest, digest)
    return ContractFiles(snapshot.digest, snapshot.files, source)


def rules():
    return [*collect_rules(), *WarpGridContractSubsystem.rules()]
