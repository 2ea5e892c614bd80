"""The rebase goal against a real git: a tiny upstream, a two-patch series, three new versions."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pants.testutil.rule_runner import RuleRunner

from warpgrid_pants.upstream.conftest import PINS, format_patch, make_tarball, pin_toml
from warpgrid_pants.upstream.rebase import RebasePatches

GIT = shutil.which("git", path="/usr/bin:/bin:/usr/local/bin")


@pytest.fixture(autouse=True)
def _require_git() -> None:
    # The goal drives a real git; ./pants installs it (SYSTEM_PACKAGES), so its absence is a
    # broken machine, not a reason to skip.
    assert GIT is not None, "git is not installed: run ./pants once as root to install it"

A_C = "".join(f"int v{i} = {i};\n" for i in range(1, 11))
README = "tiny upstream\n"
NEW_C = "int fresh(void) { return 1; }\n"
P1 = "0001-make-v6-66.patch"
P2 = "0002-add-new-c.patch"


def _series(a_c: str, readme: str) -> dict[str, str]:
    return {
        f"patches/tiny/{P1}": format_patch("Make v6 66", {"src/a.c": (a_c, a_c.replace("int v6 = 6;", "int v6 = 66;"))}),
        f"patches/tiny/{P2}": format_patch("Add new.c", {"src/new.c": ("", NEW_C), "README": (readme, readme + "patched\n")}),
    }


def _pin_version(rule_runner: RuleRunner, version: str, files: dict[str, str]) -> None:
    """Pin `tiny` at `version`, served from the offline dir (as a user edits upstreams.toml)."""
    data = make_tarball(files, f"tiny-{version}")
    rule_runner.write_files(
        {
            PINS: pin_toml("tiny", data, f"tiny-{version}.tar.gz", '{ url = "https://example.invalid/x" },', f"tiny-{version}", version),
            f"mirror/tiny-{version}.tar.gz": data,
        }
    )


def _run(rule_runner: RuleRunner, *args: str):
    return rule_runner.run_goal_rule(
        RebasePatches,
        global_args=["--warpgrid-upstreams-offline-dir=mirror", "--warpgrid-upstreams-allow-network=false"],
        args=["--upstream=tiny", *args],
    )


def _read(rule_runner: RuleRunner, name: str) -> str:
    return Path(rule_runner.build_root, "patches/tiny", name).read_text()


def test_rebase_onto_shifted_upstream_regenerates_series(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(_series(A_C, README))
    # v1.1 inserts lines above the patched one: the series applies, at other line numbers.
    shifted = "// header\n// more header\n" + A_C
    _pin_version(rule_runner, "1.1", {"src/a.c": shifted, "README": README})
    result = _run(rule_runner)
    assert result.exit_code == 0, result.stderr
    assert "Rebased 2 patch(es) of patches/tiny/ onto tiny 1.1" in result.stdout
    assert sorted(os.listdir(Path(rule_runner.build_root, "patches/tiny"))) == [P1, P2]
    p1 = _read(rule_runner, P1)
    assert p1.startswith("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n")
    assert "Subject: [PATCH] Make v6 66" in p1
    assert "From: WarpGrid Dev <dev@warpgrid.invalid>" in p1
    assert "@@ -5,7 +5,7 @@" in p1  # moved down by the two inserted lines
    assert "+int v6 = 66;" in p1
    assert "\n-- \n" not in p1  # no signature (git version) in the output
    first = {n: _read(rule_runner, n) for n in (P1, P2)}

    # A rerun onto the same pin regenerates byte-identical files.
    result = _run(rule_runner)
    assert result.exit_code == 0, result.stderr
    assert "0 rewritten" in result.stdout
    assert {n: _read(rule_runner, n) for n in (P1, P2)} == first


def test_conflict_then_continue(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(_series(A_C, README))
    # v2 changes the very line patch 1 touches: a real conflict.
    v2 = A_C.replace("int v6 = 6;", "int v6 = 6; /* upstream */")
    _pin_version(rule_runner, "2.0", {"src/a.c": v2, "README": README})
    result = _run(rule_runner)
    assert result.exit_code == 1
    assert f"Patch 1/2 patches/tiny/{P1} does not apply onto upstream `tiny`" in result.stderr
    assert "conflicting files: src/a.c (hunk at line 3)" in result.stderr
    assert "cd dist/rebase-patches/tiny/tree" in result.stderr
    assert "git am --continue" in result.stderr
    assert "./pants rebase-patches --upstream=tiny --continue" in result.stderr
    # The series is untouched until the rebase succeeds.
    assert _read(rule_runner, P1) == _series(A_C, README)[f"patches/tiny/{P1}"]

    # --continue refuses while `git am` is still stopped.
    result = _run(rule_runner, "--continue")
    assert result.exit_code == 1
    assert "still in progress" in result.stderr

    # Resolve as a maintainer would, then continue.
    tree = Path(rule_runner.build_root, "dist/rebase-patches/tiny/tree")
    (tree / "src/a.c").write_text(v2.replace("int v6 = 6; /* upstream */", "int v6 = 66; /* upstream */"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tree), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@warpgrid.invalid"}
    subprocess.run([GIT, "add", "src/a.c"], cwd=tree, env=env, check=True)
    subprocess.run([GIT, "am", "--continue"], cwd=tree, env=env, check=True, capture_output=True)

    result = _run(rule_runner, "--continue")
    assert result.exit_code == 0, result.stderr
    assert "2 rewritten" in result.stdout  # blob ids change with the new upstream
    p1 = _read(rule_runner, P1)
    assert "-int v6 = 6; /* upstream */\n+int v6 = 66; /* upstream */" in p1
    assert "Subject: [PATCH] Make v6 66" in p1


def test_skipping_a_patch_shrinks_the_series(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(_series(A_C, README))
    v2 = A_C.replace("int v6 = 6;", "int v6 = 6; /* upstream */")
    _pin_version(rule_runner, "2.0", {"src/a.c": v2, "README": README})
    assert _run(rule_runner).exit_code == 1
    tree = Path(rule_runner.build_root, "dist/rebase-patches/tiny/tree")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tree), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@warpgrid.invalid"}
    subprocess.run([GIT, "am", "--skip"], cwd=tree, env=env, check=True, capture_output=True)
    result = _run(rule_runner, "--continue")
    assert result.exit_code == 0, result.stderr
    # One commit left: git names it from its subject; the old files are gone.
    assert sorted(os.listdir(Path(rule_runner.build_root, "patches/tiny"))) == ["0001-Add-new.c.patch"]
    assert f"removed patches/tiny/{P1}" in result.stdout


def test_unknown_upstream_and_missing_option(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(_series(A_C, README))
    _pin_version(rule_runner, "1.0", {"src/a.c": A_C, "README": README})
    result = rule_runner.run_goal_rule(RebasePatches, args=[])
    assert result.exit_code == 2
    assert "--upstream" in result.stderr
