"""Extract a fetched upstream archive into a tree, with the pin's `strip_prefix` removed."""

from __future__ import annotations

from pants.core.util_rules.archive import ExtractedArchive, MaybeExtractArchiveRequest
from pants.engine.fs import Digest, RemovePrefix, Snapshot
from pants.engine.internals.selectors import Get
from pants.engine.rules import collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.upstream.fetch import FetchedUpstream, FetchPinRequest
from warpgrid_pants.upstream.pins import PinnedDigest, PinRequest, UpstreamPin, UpstreamPinRequest

# Archive suffixes Pants' extractor understands; wheels are zips.
_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.lz4", ".tar", ".zip")


class UpstreamExtractError(Exception):
    pass


class ExtractUpstreamRequest(UpstreamPinRequest):
    """Extract the pin named `name`."""


class ExtractPinRequest(PinRequest):
    """Extract an explicit pin."""


class ExtractedUpstream(PinnedDigest):
    """`digest` holds the upstream tree, `strip_prefix` removed."""


def archive_suffix(filename: str) -> str | None:
    if filename.endswith(".whl"):
        return ".zip"
    return next((s for s in _SUFFIXES if filename.endswith(s)), None)


def check_strip_prefix(pin: UpstreamPin, files: tuple[str, ...]) -> None:
    prefix = pin.strip_prefix + "/"
    outside = [f for f in files if not f.startswith(prefix)]
    if not files or outside:
        tops = sorted({f.split("/", 1)[0] for f in files})
        raise UpstreamExtractError(
            f"{pin.pins_file}: [{pin.name}] key `strip_prefix`: {pin.filename} does not hold "
            f"everything under `{pin.strip_prefix}/` (top-level entries: {', '.join(tops) or 'none'}). "
            "Set strip_prefix to the archive's top directory, or remove it."
        )


@rule(desc="Extracting a pinned upstream", level=LogLevel.DEBUG)
async def extract_pin(request: ExtractPinRequest) -> ExtractedUpstream:
    pin = request.pin
    fetched = await Get(FetchedUpstream, FetchPinRequest(pin))
    suffix = archive_suffix(pin.filename)
    if suffix is None:
        if pin.strip_prefix:
            raise UpstreamExtractError(
                f"{pin.pins_file}: [{pin.name}] has strip_prefix but {pin.filename} is not an "
                f"archive this plugin extracts ({', '.join(_SUFFIXES)}, .whl)."
            )
        return ExtractedUpstream(pin=pin, digest=fetched.digest)
    extracted = await Get(ExtractedArchive, MaybeExtractArchiveRequest(fetched.digest, use_suffix=suffix))
    if not pin.strip_prefix:
        return ExtractedUpstream(pin=pin, digest=extracted.digest)
    snapshot = await Get(Snapshot, Digest, extracted.digest)
    check_strip_prefix(pin, snapshot.files)
    tree = await Get(Digest, RemovePrefix(extracted.digest, pin.strip_prefix))
    return ExtractedUpstream(pin=pin, digest=tree)


@rule(level=LogLevel.DEBUG)
async def extract_upstream(request: ExtractUpstreamRequest) -> ExtractedUpstream:
    pin = await Get(UpstreamPin, UpstreamPinRequest(request.name))
    return await Get(ExtractedUpstream, ExtractPinRequest(pin))


def rules():
    return collect_rules()
