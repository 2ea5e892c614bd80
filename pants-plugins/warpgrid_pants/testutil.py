"""For the plugin's RuleRunner tests: every build rule of the backend, without `pants run`/tailor.

The run and tailor rules need Pants' Python backend (the host is a pex_binary), which the
build tests do not load; everything else comes from the one list in register.py.
"""

from warpgrid_pants import register
from warpgrid_pants.run import tailor, warpgrid_run


def build_rules() -> list:
    excluded = {*warpgrid_run.rules(), *tailor.rules()}
    return [r for r in register.rules() if r not in excluded]
