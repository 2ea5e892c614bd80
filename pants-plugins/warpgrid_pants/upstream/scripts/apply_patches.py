#!/usr/bin/env python3
"""Apply a patch series in order to a tree with GNU patch; stdlib only.

Run inside a Pants sandbox by the `ApplyPatchSeriesRequest` rule:

    python3 apply_patches.py --tree tree PATCH...

PATCH paths are repo-relative (they are laid out at those paths in the sandbox), so a failure
names the patch exactly as it lives in the repository. Patches apply strictly (no fuzz, no
reversed or already-applied patches), so a patch whose context no longer matches fails instead
of landing in the wrong place. On failure the marker line and a JSON report (patch, exit code,
patch's output) go to stderr and the exit code is 1. The tree must not be left with .orig/.rej
files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

MARKER = "WARPGRID-PATCH-FAILED"


def leftovers(tree: str) -> set[str]:
    found = set()
    for root, _dirs, files in os.walk(tree):
        for name in files:
            if name.endswith((".orig", ".rej")):
                found.add(os.path.relpath(os.path.join(root, name), tree))
    return found


def fail(report: dict) -> int:
    print(MARKER, file=sys.stderr)
    print(json.dumps(report), file=sys.stderr)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", required=True)
    parser.add_argument("patches", nargs="*")
    args = parser.parse_args()

    before = leftovers(args.tree)
    for patch in args.patches:
        proc = subprocess.run(
            [
                "patch", "-p1", "--batch", "--forward", "--fuzz=0", "--no-backup-if-mismatch",
                "--reject-file=-", "--directory", args.tree, "--input", os.path.abspath(patch),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 0:
            return fail({"patch": patch, "exit_code": proc.returncode, "output": output})
        print(f"applied {patch}", file=sys.stderr)

    extra = sorted(leftovers(args.tree) - before)
    if extra:
        return fail({"patch": None, "exit_code": 0, "output": "", "leftovers": extra})
    return 0


if __name__ == "__main__":
    sys.exit(main())
