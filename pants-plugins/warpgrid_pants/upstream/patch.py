"""Apply `patches/<upstream>/NNNN-name.patch` in order to an upstream tree, inside the build.

GNU patch runs strictly (`--fuzz=0 --forward`) in a Process (fingerprinted `patch` and
`python3`), so a series that no longer matches fails loudly instead of applying in the wrong
place. The failure names the patch (repo-relative), the target file and the hunk, and says how
to fix it (rebase the series).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Optional

from pants.engine.fs import AddPrefix, CreateDigest, Digest, MergeDigests, PathGlobs, RemovePrefix, Snapshot
from pants.engine.internals.selectors import Get, MultiGet
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.util.logging import LogLevel

from warpgrid_pants.toolchains.system_tools import SystemTools, SystemToolsRequest, plugin_scripts

# Where the upstream machinery's own scripts sit in its sandboxes.
SCRIPTS_DIR = "__warpgrid_scripts"

APPLY_SCRIPT = "apply_patches.py"
_TREE = "__warpgrid_tree"
_MARKER = "WARPGRID-PATCH-FAILED"
REBASE_COMMAND = "./pants rebase-patches --upstream={upstream}"


class PatchApplyError(Exception):
    """A patch of the series does not apply; the message names patch, file and hunk."""


@dataclass(frozen=True)
class ApplyPatchSeriesRequest:
    upstream: str  # the pin name, for messages
    tree: Digest  # the upstream tree (strip_prefix already removed)
    patches: tuple[str, ...]  # paths, applied in this order
    # Where the patch files are: None reads `patches` from the build root; a digest holding them
    # at those paths serves series that do not live in the repository (shipped with the plugin).
    patches_digest: Optional[Digest] = None


@dataclass(frozen=True)
class PatchedTree:
    digest: Digest


@dataclass(frozen=True)
class HunkFailure:
    file: str | None
    hunk: int | None
    line: int | None
    problem: str


_PATCHING = re.compile(r"^(?:patching|checking) file (?:'(.+)'|(.+))$")
_HUNK_FAILED = re.compile(r"^Hunk #(\d+) FAILED at (\d+)")
_NO_FILE = re.compile(r"^can't find file to patch at input line (\d+)")


def parse_patch_output(output: str) -> list[HunkFailure]:
    """What GNU patch said went wrong, per file and hunk."""
    failures: list[HunkFailure] = []
    current: str | None = None
    for raw in output.splitlines():
        line = raw.strip()
        m = _PATCHING.match(line)
        if m:
            current = m.group(1) or m.group(2)
            continue
        m = _HUNK_FAILED.match(line)
        if m:
            failures.append(HunkFailure(current, int(m.group(1)), int(m.group(2)), "context does not match"))
            continue
        m = _NO_FILE.match(line)
        if m:
            failures.append(HunkFailure(None, None, None, f"the file to patch does not exist (patch input line {m.group(1)})"))
            continue
        if "Reversed (or previously applied) patch detected" in line:
            failures.append(HunkFailure(current, None, None, "already applied (or reversed) in the tree"))
        elif "malformed patch" in line or "Only garbage was found" in line:
            failures.append(HunkFailure(current, None, None, f"the patch file is malformed: {line}"))
    return failures


def format_patch_failure(upstream: str, report: dict) -> str:
    if report.get("patch") is None:
        return (
            f"Applying the patch series to upstream `{upstream}` left backup/reject files in the "
            f"tree: {', '.join(report.get('leftovers', []))}. Remove them from the patches."
        )
    patch = report["patch"]
    output = report.get("output", "")
    lines = [f"Patch {patch} does not apply to upstream `{upstream}`:"]
    failures = parse_patch_output(output)
    for f in failures:
        where = f"file {f.file}" if f.file else "a file"
        hunk = f", hunk #{f.hunk} FAILED at line {f.line}" if f.hunk is not None else ""
        lines.append(f"  {where}{hunk}: {f.problem}")
    if not failures:
        lines.append(f"  patch exited with {report.get('exit_code')}")
    lines.append("GNU patch said:")
    lines += [f"  | {line}" for line in output.strip().splitlines()[-20:]]
    lines.append(
        f"Fix: the patch no longer matches the upstream tree (or was edited by hand). Rebase the "
        f"series with `{REBASE_COMMAND.format(upstream=upstream)}` (docs/FORK-MAINTENANCE.md), or "
        f"regenerate {patch} with `git format-patch`."
    )
    return "\n".join(lines)


@rule(desc="Applying a patch series", level=LogLevel.DEBUG)
async def apply_patch_series(request: ApplyPatchSeriesRequest) -> PatchedTree:
    if not request.patches:
        return PatchedTree(request.tree)
    tools, script, patches, tree = await MultiGet(
        Get(
            SystemTools,
            SystemToolsRequest(
                ("python3", "patch"), rationale=f"apply the `{request.upstream}` patches"
            ),
        ),
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.upstream", APPLY_SCRIPT, prefix=SCRIPTS_DIR)),
        Get(
            Snapshot,
            PathGlobs(
                request.patches,
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"the `{request.upstream}` patch series",
            ),
        )
        if request.patches_digest is None
        else Get(Snapshot, Digest, request.patches_digest),
        Get(Digest, AddPrefix(request.tree, _TREE)),
    )
    input_digest = await Get(Digest, MergeDigests([script, patches.digest, tree]))
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=[tools.path("python3"), f"{SCRIPTS_DIR}/{APPLY_SCRIPT}", "--tree", _TREE, *request.patches],
            description=f"Applying {len(request.patches)} patch(es) to {request.upstream}",
            level=LogLevel.DEBUG,
            input_digest=input_digest,
            immutable_input_digests=tools.immutable_input_digests,
            env=tools.env({"LANG": "C"}),
            output_directories=(_TREE,),
        ),
    )
    stderr = result.stderr.decode("utf-8", "replace")
    if result.exit_code != 0:
        if _MARKER in stderr:
            report = json.loads(stderr.split(_MARKER, 1)[1].strip().splitlines()[0])
            raise PatchApplyError(format_patch_failure(request.upstream, report))
        raise PatchApplyError(
            f"Applying the `{request.upstream}` patch series failed (exit {result.exit_code}):\n{stderr}"
        )
    patched = await Get(Digest, RemovePrefix(result.output_digest, _TREE))
    return PatchedTree(patched)


def rules():
    return collect_rules()
