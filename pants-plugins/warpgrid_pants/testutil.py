"""For the plugin's RuleRunner tests: every build rule of the backend, without `pants run`/tailor.

The run rules (warpgrid_run, warpgrid_deployment, host_release), the tailor rules and Pants' Python backend (which register.py brings along because the
host runs as a PEX) need the Python backend's whole setup, which the build tests do not load;
everything else comes from the one list in register.py.
"""

from pants.backend.python import register as python_backend
from pants.core.util_rules import archive, system_binaries

from warpgrid_pants import register
from warpgrid_pants.run import host_release, tailor, warpgrid_deployment, warpgrid_run


def build_rules() -> list:
    needed = {*archive.rules(), *system_binaries.rules()}
    excluded = {
        *warpgrid_run.rules(),
        *warpgrid_deployment.rules(),
        *host_release.rules(),
        *tailor.rules(),
        *python_backend.rules(),
    } - needed
    return [r for r in register.rules() if r not in excluded]
