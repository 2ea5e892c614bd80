from __future__ import annotations

import pytest

from pants.engine.fs import CreateDigest, Digest, FileContent
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import RuleRunner

from warpgrid_pants.upstream.conftest import contents, format_patch
from warpgrid_pants.upstream.patch import ApplyPatchSeriesRequest, PatchedTree, parse_patch_output

A_C = "".join(f"int v{i} = {i};\n" for i in range(1, 11))
A_C_PATCHED = A_C.replace("int v3 = 3;", "int v3 = 33;")
README = "tiny upstream\n"
NEW_C = "int fresh(void) { return 1; }\n"

P1 = "patches/tiny/0001-make-v3-33.patch"
P2 = "patches/tiny/0002-add-new-c.patch"
PATCH1 = format_patch("Make v3 33", {"src/a.c": (A_C, A_C_PATCHED)})
PATCH2 = format_patch("Add new.c", {"src/new.c": ("", NEW_C), "README": (README, README + "patched\n")})


def _tree(rule_runner: RuleRunner) -> Digest:
    return rule_runner.request(
        Digest,
        [CreateDigest([FileContent("src/a.c", A_C.encode()), FileContent("README", README.encode())])],
    )


def _apply(rule_runner: RuleRunner, patches: tuple[str, ...]) -> PatchedTree:
    return rule_runner.request(PatchedTree, [ApplyPatchSeriesRequest("tiny", _tree(rule_runner), patches)])


def test_series_applies_in_order(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({P1: PATCH1, P2: PATCH2})
    patched = _apply(rule_runner, (P1, P2))
    assert contents(rule_runner, patched.digest) == {
        "README": b"tiny upstream\npatched\n",
        "src/a.c": A_C_PATCHED.encode(),
        "src/new.c": NEW_C.encode(),
    }
    # Deterministic: the same inputs give the same digest.
    assert _apply(rule_runner, (P1, P2)).digest == patched.digest


def test_empty_series_is_the_tree(rule_runner: RuleRunner) -> None:
    assert _apply(rule_runner, ()).digest == _tree(rule_runner)


def test_conflict_names_patch_file_and_hunk(rule_runner: RuleRunner) -> None:
    # Corrupt the first context line of the first hunk, like the acceptance check does: strict
    # application (no fuzz) must refuse it rather than apply it somewhere near.
    lines = PATCH1.split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith("@@")) + 1
    while not lines[i].startswith(" "):
        i += 1
    lines[i] = " WARPGRID_CORRUPTED_CONTEXT"
    rule_runner.write_files({P1: "\n".join(lines), P2: PATCH2})
    with pytest.raises(ExecutionError) as e:
        _apply(rule_runner, (P1, P2))
    message = str(e.value)
    assert f"Patch {P1} does not apply to upstream `tiny`" in message
    assert "file src/a.c, hunk #1 FAILED at line 1: context does not match" in message
    assert "./pants rebase-patches --upstream=tiny" in message
    assert P2 not in message.split("Fix:")[0]


def test_already_applied_patch_is_reported(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({P1: PATCH1, "patches/tiny/0002-again.patch": PATCH1})
    with pytest.raises(ExecutionError) as e:
        _apply(rule_runner, (P1, "patches/tiny/0002-again.patch"))
    assert "Patch patches/tiny/0002-again.patch does not apply" in str(e.value)
    assert "file src/a.c: already applied (or reversed)" in str(e.value)


def test_missing_target_file_is_reported(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({P1: PATCH1.replace("src/a.c", "src/gone.c")})
    with pytest.raises(ExecutionError) as e:
        _apply(rule_runner, (P1,))
    assert f"Patch {P1} does not apply" in str(e.value)
    assert "does not exist" in str(e.value)


def test_missing_patch_file_is_named(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _apply(rule_runner, ("patches/tiny/0009-missing.patch",))
    assert "patches/tiny/0009-missing.patch" in str(e.value)


def test_parse_patch_output_quoted_names() -> None:
    out = "patching file 'dir/x y.c'\nHunk #2 FAILED at 40.\nHunk #3 FAILED at 77.\n2 out of 3 hunks FAILED\n"
    assert [(f.file, f.hunk, f.line) for f in parse_patch_output(out)] == [
        ("dir/x y.c", 2, 40),
        ("dir/x y.c", 3, 77),
    ]
