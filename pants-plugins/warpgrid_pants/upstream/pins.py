"""Parse and validate `third_party/upstreams.toml`, the one visible place every upstream is pinned.

The file is read through the engine (PathGlobs -> DigestContents) so that editing a pin
invalidates every fetch, build and cache key that depends on it. Validation is strict: an
unknown key, a missing sha256/size or a bad source kind is an error naming the file, the
`[section]` and the key, because a typo in a pin must never silently weaken verification.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

# Pants 2.17 runs on CPython 3.9 (no tomllib); `toml` is one of Pants' own requirements.
import toml  # pants: no-infer-dep

from pants.engine.fs import Digest, DigestContents, PathGlobs
from pants.engine.internals.selectors import Get
from pants.engine.rules import collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior

from warpgrid_pants.contract import has_package_data, read_package_data
from warpgrid_pants.upstream.subsystem import UpstreamsSubsystem

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# kind -> (keys required besides the kind key, optional keys). The kind key's value names what is
# fetched (a URL, a package, a module); no registry host is ever written: the clients know them.
SOURCE_KINDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "url": ((), ()),
    "debian_source": (("version",), ()),
    "debian_binary": (("version",), ()),
    "npm": (("version",), ()),
    "pypi": (("version",), ()),
    "go_module": (("version",), ()),
}

_PIN_REQUIRED = ("version", "sha256", "size", "filename", "sources")
_PIN_OPTIONAL = ("strip_prefix", "description")


class PinsError(ValueError):
    """A pins file is malformed; the message names the file, the [section] and the key."""


@dataclass(frozen=True)
class UpstreamSource:
    """One place the pinned bytes can come from; tried in the order listed in the pin."""

    kind: str  # one of SOURCE_KINDS
    name: str  # the URL, Debian package, npm package, PyPI project or Go module
    version: str | None = None

    def describe(self) -> str:
        if self.kind == "url":
            return f"url {self.name}"
        sep = {"npm": "@", "go_module": "@", "pypi": "=="}.get(self.kind, "=")
        return f"{self.kind} {self.name}{sep}{self.version}"

    def to_json_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "version": self.version}


@dataclass(frozen=True)
class UpstreamPin:
    """An upstream pinned by the sha256 and size of one file (`filename`)."""

    name: str
    version: str
    sha256: str
    size: int
    filename: str
    strip_prefix: str
    sources: tuple[UpstreamSource, ...]
    pins_file: str = "third_party/upstreams.toml"

    def to_json(self) -> str:
        """A canonical encoding: it goes into the fetch Process argv, so it is the cache key."""
        return json.dumps(
            {
                "name": self.name,
                "version": self.version,
                "sha256": self.sha256,
                "size": self.size,
                "filename": self.filename,
                "sources": [s.to_json_dict() for s in self.sources],
            },
            sort_keys=True,
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class UpstreamPins:
    path: str
    pins: tuple[UpstreamPin, ...]

    def get(self, name: str) -> UpstreamPin:
        for pin in self.pins:
            if pin.name == name:
                return pin
        known = ", ".join(p.name for p in self.pins) or "none"
        raise PinsError(
            f"{self.path}: no pin named [{name}] (pinned upstreams: {known}). Add a [{name}] "
            "section with version, sha256, size, filename and sources."
        )


def _where(path: str, section: str, key: str | None = None) -> str:
    return f"{path}: [{section}]" + (f" key `{key}`" if key else "")


def _require_str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise PinsError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _parse_source(path: str, section: str, index: int, raw: Any) -> UpstreamSource:
    where = f"{path}: [{section}] key `sources[{index}]`"
    if not isinstance(raw, dict):
        raise PinsError(f"{where}: expected an inline table such as {{ url = \"...\" }}, got {raw!r}")
    kinds = [k for k in raw if k in SOURCE_KINDS]
    if len(kinds) != 1:
        problem = "has none" if not kinds else f"has several ({', '.join(kinds)})"
        raise PinsError(
            f"{where}: a source needs exactly one kind key, {problem}; keys given: "
            f"{sorted(raw)}. Known kinds: {', '.join(SOURCE_KINDS)}."
        )
    kind = kinds[0]
    required, optional = SOURCE_KINDS[kind]
    for key in raw:
        if key != kind and key not in required and key not in optional:
            allowed = ", ".join((kind, *required, *optional))
            raise PinsError(f"{where}: unknown key `{key}` for a {kind} source (allowed: {allowed})")
    for key in required:
        if key not in raw:
            raise PinsError(f"{where}: a {kind} source needs `{key}`")
    name = _require_str(raw[kind], f"{where}.{kind}")
    if kind == "url" and not re.match(r"^(https?|file)://", name):
        raise PinsError(f"{where}.url: expected an http(s):// or file:// URL, got {name!r}")
    version = _require_str(raw["version"], f"{where}.version") if "version" in raw else None
    return UpstreamSource(kind=kind, name=name, version=version)


def _parse_pin(path: str, section: str, raw: Any) -> UpstreamPin:
    if not isinstance(raw, dict):
        raise PinsError(f"{_where(path, section)}: expected a table, got {raw!r}")
    for key in raw:
        if key not in _PIN_REQUIRED and key not in _PIN_OPTIONAL:
            allowed = ", ".join((*_PIN_REQUIRED, *_PIN_OPTIONAL))
            raise PinsError(f"{_where(path, section, key)}: unknown key (allowed: {allowed})")
    for key in _PIN_REQUIRED:
        if key not in raw:
            raise PinsError(
                f"{_where(path, section, key)}: missing; every pin needs version, sha256, size "
                "(of the fetched file: `sha256sum`, `stat -c %s`), filename and sources"
            )
    sha256 = raw["sha256"]
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise PinsError(
            f"{_where(path, section, 'sha256')}: expected 64 lowercase hex digits, got {sha256!r}"
        )
    size = raw["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise PinsError(f"{_where(path, section, 'size')}: expected a positive integer, got {size!r}")
    filename = _require_str(raw["filename"], _where(path, section, "filename"))
    if "/" in filename or filename in (".", ".."):
        raise PinsError(f"{_where(path, section, 'filename')}: expected a bare file name, got {filename!r}")
    strip_prefix = raw.get("strip_prefix", "")
    if not isinstance(strip_prefix, str) or strip_prefix.startswith("/") or ".." in strip_prefix.split("/"):
        raise PinsError(
            f"{_where(path, section, 'strip_prefix')}: expected a relative directory, got {strip_prefix!r}"
        )
    sources_raw = raw["sources"]
    if not isinstance(sources_raw, list) or not sources_raw:
        raise PinsError(f"{_where(path, section, 'sources')}: expected a non-empty array of inline tables")
    return UpstreamPin(
        name=section,
        version=_require_str(raw["version"], _where(path, section, "version")),
        sha256=sha256,
        size=size,
        filename=filename,
        strip_prefix=strip_prefix.strip("/"),
        sources=tuple(_parse_source(path, section, i, s) for i, s in enumerate(sources_raw)),
        pins_file=path,
    )


def parse_upstream_pins(content: str, path: str) -> UpstreamPins:
    """Parse a pins file's text; `path` is only used in error messages."""
    try:
        data = toml.loads(content)
    except (toml.TomlDecodeError, IndexError, ValueError) as e:
        raise PinsError(f"{path}: not valid TOML: {e}") from e
    pins = []
    for section, raw in data.items():
        pins.append(_parse_pin(path, section, raw))
    return UpstreamPins(path=path, pins=tuple(pins))


# Where the installed plugin carries its pins (package data, see warpgrid_pants/contract.py).
BUNDLED_PINS = "third_party/upstreams.toml"


@dataclass(frozen=True)
class UpstreamPinRequest:
    """A pin by its name (a section of the pins file); `ExtractUpstreamRequest` is one."""

    name: str


@dataclass(frozen=True)
class PinRequest:
    """An explicit pin (e.g. one not, or not yet, in the pins file: the rebase goal); each
    upstream step (fetch, extract) has a subclass."""

    pin: UpstreamPin


@dataclass(frozen=True)
class PinnedDigest:
    """What an upstream step made of a pin: the fetched file, or the extracted tree."""

    pin: UpstreamPin
    digest: Digest


@rule(desc="Reading upstream pins")
async def read_upstream_pins(subsystem: UpstreamsSubsystem) -> UpstreamPins:
    path = subsystem.pins_file
    if path is None and not has_package_data():
        path = BUNDLED_PINS  # a source checkout: the WarpGrid repository's own pins
    if path is None:
        (shipped,) = read_package_data(
            BUNDLED_PINS, what="upstream pins", option="[warpgrid-upstreams].pins_file"
        )
        return parse_upstream_pins(shipped.content.decode("utf-8"), f"warpgrid-pants:{BUNDLED_PINS}")
    contents = await Get(
        DigestContents,
        PathGlobs(
            [path],
            glob_match_error_behavior=GlobMatchErrorBehavior.error,
            description_of_origin="the `[warpgrid-upstreams].pins_file` option",
        ),
    )
    return parse_upstream_pins(contents[0].content.decode("utf-8"), path)


@rule
async def upstream_pin(request: UpstreamPinRequest, pins: UpstreamPins) -> UpstreamPin:
    return pins.get(request.name)


def rules():
    return collect_rules()
