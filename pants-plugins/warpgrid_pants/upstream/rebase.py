"""`pants rebase-patches`: carry a patch series onto another upstream version, then regenerate it.

    ./pants rebase-patches --upstream=wasi-libc                 # onto the version pinned now
    ./pants rebase-patches --upstream=wasi-libc --archive=PATH  # onto a local archive, before pinning
    ./pants rebase-patches --upstream=wasi-libc --continue      # after resolving a conflict

The pinned (or given) upstream is fetched and verified like in a build, committed as the base of
a git repository in a work directory, and the series `patches/<upstream>/*.patch` is applied with
`git am -3` (a 3-way merge where the old blobs are known). A conflict stops with the patch, the
files and the next steps. On success the series is regenerated with `git format-patch
--zero-commit --no-signature -N --full-index` (stable bytes: no commit ids, no git version) and
written back over `patches/<upstream>/`, keeping the file names when the series length is
unchanged. Committer identity and dates are fixed so reruns produce identical files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from pants.base.build_root import BuildRoot
from pants.core.util_rules.system_binaries import BinaryPathRequest, BinaryPaths, BinaryPathTest
from pants.engine.console import Console
from pants.engine.fs import CreateDigest, Digest, FileContent, RemovePrefix, Snapshot, Workspace
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.internals.selectors import Get
from pants.engine.rules import collect_rules, goal_rule
from pants.option.option_types import BoolOption, StrOption

from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractPinRequest
from warpgrid_pants.upstream.pins import UpstreamPin, UpstreamPinRequest, UpstreamSource
from warpgrid_pants.toolchains.system_tools import SystemToolsSubsystem

BASE_TAG = "warpgrid-upstream-base"
# Fixed identity and clock: the regenerated series must not depend on who rebased or when.
_IDENTITY = {
    "GIT_COMMITTER_NAME": "WarpGrid rebase",
    "GIT_COMMITTER_EMAIL": "rebase@warpgrid.invalid",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
    "GIT_AUTHOR_NAME": "WarpGrid rebase",
    "GIT_AUTHOR_EMAIL": "rebase@warpgrid.invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
}


class RebasePatchesSubsystem(GoalSubsystem):
    name = "rebase-patches"
    help = (
        "Apply a patch series (patches/<upstream>/*.patch) onto the pinned upstream (or a local "
        "archive) with `git am -3`, report conflicts, and on success regenerate the series in "
        "`git format-patch` form. See docs/FORK-MAINTENANCE.md."
    )

    upstream = StrOption(default="", help="The pin name in the pins file, e.g. `wasi-libc`.")
    patches_dir = StrOption(
        default="", help="The series directory (default: `patches/<upstream>`), relative to the build root."
    )
    workdir = StrOption(
        default="",
        help="Where the git work tree is made (default: `dist/rebase-patches/<upstream>`). Erased on each fresh run.",
    )
    archive = StrOption(
        default="",
        help=(
            "Rebase onto this local archive instead of the pinned file (to try a new upstream "
            "version before pinning it). Its single top directory is stripped unless --strip-prefix is given."
        ),
    )
    strip_prefix = StrOption(default="", help="With --archive: the top directory to strip.")
    continue_ = BoolOption(
        "--continue",
        default=False,
        help="Finish a rebase stopped by a conflict, after `git am --continue` in the work tree.",
    )


class RebasePatches(Goal):
    subsystem_cls = RebasePatchesSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


class RebaseError(Exception):
    pass


@dataclass(frozen=True)
class Paths:
    build_root: str
    patches_dir: str  # repo-relative
    workdir: str  # repo-relative

    @property
    def tree(self) -> str:
        return os.path.join(self.build_root, self.workdir, "tree")

    def series(self) -> list[str]:
        d = os.path.join(self.build_root, self.patches_dir)
        if not os.path.isdir(d):
            return []
        return sorted(f for f in os.listdir(d) if f.endswith(".patch"))


def git(git_path: str, tree: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        # git runs `patch`-free plumbing only; its own directory plus the base system suffices.
        "PATH": os.pathsep.join(dict.fromkeys([os.path.dirname(git_path), "/usr/bin", "/bin"])),
        "HOME": tree,
        "LANG": "C",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "TZ": "UTC",
        **_IDENTITY,
    }
    proc = subprocess.run(
        [git_path, "-c", "core.autocrlf=false", "-c", "core.abbrev=12", *args],
        cwd=tree,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if check and proc.returncode != 0:
        raise RebaseError(f"`git {' '.join(args)}` failed in {tree}:\n{proc.stdout.decode(errors='replace')}")
    return proc


def conflict_report(git_path: str, paths: Paths, series: list[str], am_output: str, upstream: str) -> str:
    """Which patch stopped, on which files, and what to do next."""
    rebase_apply = os.path.join(paths.tree, ".git", "rebase-apply")
    index = None
    try:
        with open(os.path.join(rebase_apply, "next")) as f:
            index = int(f.read().strip())
    except (OSError, ValueError):
        pass
    patch = (
        f"{paths.patches_dir}/{series[index - 1]}" if index and 0 < index <= len(series) else "a patch of the series"
    )
    unmerged = git(git_path, paths.tree, "diff", "--name-only", "--diff-filter=U", check=False)
    files = set(unmerged.stdout.decode(errors="replace").split())
    files |= set(re.findall(r"^CONFLICT \([^)]*\): Merge conflict in (.+)$", am_output, re.M))
    if not files and os.path.isfile(os.path.join(rebase_apply, "patch")):
        # No 3-way merge was possible: ask git which hunks of the stopped patch fail, and where.
        check = git(git_path, paths.tree, "apply", "--check", os.path.join(rebase_apply, "patch"), check=False)
        check_output = check.stdout.decode(errors="replace")
        files |= {f"{f} (hunk at line {n})" for f, n in re.findall(r"^error: patch failed: (.+?):(\d+)$", check_output, re.M)}
        files |= {f"{f} (missing)" for f in re.findall(r"^error: (.+?): (?:does not exist in index|No such file or directory)$", check_output, re.M)}
    tree = os.path.join(paths.workdir, "tree")
    lines = [
        f"Patch {index or '?'}/{len(series)} {patch} does not apply onto upstream `{upstream}`.",
        f"  conflicting files: {', '.join(sorted(files)) or '(see git output below)'}",
        "git am said:",
        *(f"  | {line}" for line in am_output.strip().splitlines()[-15:]),
        "Next steps:",
        f"  1. cd {tree}   (a git repository: the upstream is commit `{BASE_TAG}`, earlier patches are committed)",
        "  2. resolve the conflicts: edit the files (3-way markers where git could merge), or apply the",
        "     rejected hunks by hand: `git apply --reject .git/rebase-apply/patch`; then `git add` the files",
        "  3. `git am --continue`   (or `git am --skip` to drop this patch from the series)",
        f"  4. rerun `./pants rebase-patches --upstream={upstream} --continue` to regenerate {paths.patches_dir}/",
    ]
    return "\n".join(lines)


def am_in_progress(tree: str) -> bool:
    return os.path.isdir(os.path.join(tree, ".git", "rebase-apply"))


def regenerate(git_path: str, paths: Paths, old_series: list[str]) -> dict[str, bytes]:
    """The new series' files by name, from the commits on top of the upstream base."""
    out_dir = os.path.join(paths.build_root, paths.workdir, "format-patch")
    if os.path.isdir(out_dir):
        for name in os.listdir(out_dir):
            os.unlink(os.path.join(out_dir, name))
    git(
        git_path, paths.tree, "format-patch", "--zero-commit", "--no-signature", "-N", "--full-index",
        "--no-renames", "-o", out_dir, f"{BASE_TAG}..HEAD",
    )
    generated = sorted(os.listdir(out_dir))
    names = old_series if len(old_series) == len(generated) else generated
    result = {}
    for new_name, generated_name in zip(names, generated):
        with open(os.path.join(out_dir, generated_name), "rb") as f:
            result[new_name] = f.read()
    return result


def single_top_dir(files: tuple[str, ...]) -> str:
    tops = {f.split("/", 1)[0] for f in files}
    return tops.pop() if len(tops) == 1 and all("/" in f for f in files) else ""


def local_archive_pin(name: str, archive: str) -> UpstreamPin:
    h = hashlib.sha256()
    with open(archive, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return UpstreamPin(
        name=name,
        version=f"local archive {os.path.basename(archive)}",
        sha256=h.hexdigest(),
        size=os.path.getsize(archive),
        filename=os.path.basename(archive),
        strip_prefix="",
        sources=(UpstreamSource(kind="url", name="file://" + os.path.abspath(archive)),),
        pins_file=f"--archive={archive}",
    )


@goal_rule
async def rebase_patches(
    console: Console,
    subsystem: RebasePatchesSubsystem,
    workspace: Workspace,
    build_root: BuildRoot,
    system_tools: SystemToolsSubsystem,
) -> RebasePatches:
    search_path = tuple(system_tools.search_path)
    upstream = subsystem.upstream
    if not upstream:
        console.print_stderr("rebase-patches needs --upstream=<pin name> (a [section] of the pins file).")
        return RebasePatches(exit_code=2)
    paths = Paths(
        build_root=build_root.path,
        patches_dir=(subsystem.patches_dir or f"patches/{upstream}").rstrip("/"),
        workdir=(subsystem.workdir or f"dist/rebase-patches/{upstream}").rstrip("/"),
    )
    for option, value in (("--patches-dir", paths.patches_dir), ("--workdir", paths.workdir)):
        parts = value.split("/")
        if not value or os.path.isabs(value) or ".." in parts or value in (".", ""):
            console.print_stderr(f"{option}={value}: expected a directory inside the build root, e.g. dist/x.")
            return RebasePatches(exit_code=2)
    git_paths = await Get(
        BinaryPaths,
        BinaryPathRequest(binary_name="git", search_path=search_path, test=BinaryPathTest(["--version"])),
    )
    git_path = git_paths.first_path_or_raise(
        BinaryPathRequest(binary_name="git", search_path=search_path), rationale="rebase patch series"
    ).path
    series = paths.series()

    if subsystem.continue_:
        if not os.path.isdir(os.path.join(paths.tree, ".git")):
            console.print_stderr(f"Nothing to continue: no rebase work tree at {paths.workdir}/tree.")
            return RebasePatches(exit_code=1)
        if am_in_progress(paths.tree):
            console.print_stderr(
                f"`git am` is still in progress in {paths.workdir}/tree: resolve the conflicts, "
                "`git add` the files and run `git am --continue` there first."
            )
            return RebasePatches(exit_code=1)
        upstream_label = upstream
    else:
        if subsystem.archive:
            archive = os.path.join(build_root.path, subsystem.archive)
            if not os.path.isfile(archive):
                console.print_stderr(f"--archive={subsystem.archive}: no such file.")
                return RebasePatches(exit_code=2)
            pin = local_archive_pin(upstream, archive)
        else:
            pin = await Get(UpstreamPin, UpstreamPinRequest(upstream))
        extracted = await Get(ExtractedUpstream, ExtractPinRequest(pin))
        tree_digest = extracted.digest
        if subsystem.archive:
            snapshot = await Get(Snapshot, Digest, tree_digest)
            prefix = subsystem.strip_prefix or single_top_dir(snapshot.files)
            if prefix:
                tree_digest = await Get(Digest, RemovePrefix(tree_digest, prefix))
        shutil.rmtree(os.path.join(build_root.path, paths.workdir), ignore_errors=True)
        workspace.write_digest(tree_digest, path_prefix=f"{paths.workdir}/tree")
        upstream_label = f"{upstream} {pin.version}"
        git(git_path, paths.tree, "init", "-q")
        git(git_path, paths.tree, "add", "-A", "-f")
        git(git_path, paths.tree, "commit", "-q", "--allow-empty", "-m", f"upstream {upstream_label}")
        git(git_path, paths.tree, "tag", BASE_TAG)
        if series:
            am = git(
                git_path, paths.tree, "am", "-3", "--keep-cr",
                *(os.path.join(build_root.path, paths.patches_dir, p) for p in series),
                check=False,
            )
            if am.returncode != 0:
                console.print_stderr(
                    conflict_report(git_path, paths, series, am.stdout.decode(errors="replace"), upstream)
                )
                return RebasePatches(exit_code=1)

    new_series = regenerate(git_path, paths, series)
    old = {}
    for name in series:
        with open(os.path.join(build_root.path, paths.patches_dir, name), "rb") as f:
            old[name] = f.read()
    digest = await Get(
        Digest, CreateDigest([FileContent(name, content) for name, content in new_series.items()])
    )
    removed = [n for n in series if n not in new_series]
    for name in removed:  # the series shrank (a patch was skipped) or was renamed by git
        os.unlink(os.path.join(build_root.path, paths.patches_dir, name))
    workspace.write_digest(digest, path_prefix=paths.patches_dir)
    changed = [n for n, c in new_series.items() if old.get(n) != c]
    console.print_stdout(
        f"Rebased {len(new_series)} patch(es) of {paths.patches_dir}/ onto {upstream_label}: "
        f"{len(changed)} rewritten, {len(removed)} removed."
    )
    for n in changed:
        console.print_stdout(f"  rewrote {paths.patches_dir}/{n}")
    for n in removed:
        console.print_stdout(f"  removed {paths.patches_dir}/{n}")
    console.print_stdout(
        f"Review with `git diff -- {paths.patches_dir}`; the work tree stays in {paths.workdir}/tree."
    )
    return RebasePatches(exit_code=0)


def rules():
    return collect_rules()
