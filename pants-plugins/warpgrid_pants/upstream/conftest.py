"""Shared fixtures: a RuleRunner with every upstream rule, and tiny local upstream archives.

Tests never touch the network: archives are built here and served from the offline directory or
a file:// URL, and network sources that are used only ever fail locally.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import tarfile
from typing import Mapping

import pytest

from pants.engine.fs import CreateDigest, Digest, DigestContents
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractUpstreamRequest
from warpgrid_pants.upstream.fetch import FetchedUpstream, FetchPinRequest
from warpgrid_pants.upstream.patch import ApplyPatchSeriesRequest, PatchedTree
from warpgrid_pants.upstream.pins import UpstreamPin, UpstreamPinRequest
from warpgrid_pants.testutil import BuildRuleRunner, build_rules

PINS = "third_party/upstreams.toml"


def make_tarball(files: Mapping[str, str], prefix: str) -> bytes:
    """A deterministic .tar.gz with every file under `prefix/`."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name].encode()
            info = tarfile.TarInfo(f"{prefix}/{name}")
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pin_toml(name: str, data: bytes, filename: str, sources: str, strip_prefix: str = "", version: str = "1.0") -> str:
    strip = f'strip_prefix = "{strip_prefix}"\n' if strip_prefix else ""
    return (
        f'[{name}]\nversion = "{version}"\nsha256 = "{sha256(data)}"\nsize = {len(data)}\n'
        f'filename = "{filename}"\n{strip}sources = [\n{sources}\n]\n'
    )


def git_blob_id(content: str) -> str:
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def format_patch(subject: str, changes: Mapping[str, tuple[str, str]]) -> str:
    """A `git format-patch`-style patch (real blob ids, so `git am -3` can merge) for
    {path: (old, new)}; old == "" creates the file."""
    out = [
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001",
        "From: WarpGrid Dev <dev@warpgrid.invalid>",
        "Date: Sat, 1 Jan 2022 00:00:00 +0000",
        f"Subject: [PATCH] {subject}",
        "",
        "---",
    ]
    for path, (old, new) in sorted(changes.items()):
        out.append(f"diff --git a/{path} b/{path}")
        if not old:
            out += ["new file mode 100644", f"index {'0' * 40}..{git_blob_id(new)}"]
        else:
            out.append(f"index {git_blob_id(old)}..{git_blob_id(new)} 100644")
        diff = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}" if old else "/dev/null",
            tofile=f"b/{path}",
        )
        out += [line.rstrip("\n") for line in diff]
    return "\n".join(out) + "\n"


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = BuildRuleRunner(
        rules=[
            *build_rules(),
            QueryRule(UpstreamPin, [UpstreamPinRequest]),
            QueryRule(FetchedUpstream, [FetchPinRequest]),
            QueryRule(ExtractedUpstream, [ExtractUpstreamRequest]),
            QueryRule(PatchedTree, [ApplyPatchSeriesRequest]),
            QueryRule(DigestContents, [Digest]),
            QueryRule(Digest, [CreateDigest]),
        ],
        isolated_local_store=True,
    )
    runner.set_options(["--warpgrid-upstreams-allow-network=false"])
    return runner


def contents(rule_runner: RuleRunner, digest: Digest) -> dict[str, bytes]:
    return {fc.path: fc.content for fc in rule_runner.request(DigestContents, [digest])}




def fetch(rule_runner: RuleRunner, name: str) -> FetchedUpstream:
    """Fetch the pin named `name`: read it from the pins file, then run the fetch step on it."""
    pin = rule_runner.request(UpstreamPin, [UpstreamPinRequest(name)])
    return rule_runner.request(FetchedUpstream, [FetchPinRequest(pin)])
