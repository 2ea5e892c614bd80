"""For the plugin's RuleRunner tests: every build rule of the backend, without `pants run`/tailor,
and a RuleRunner that survives the test engine failing to start a process.

The run rules (warpgrid_run, warpgrid_deployment, host_release), the tailor rules and Pants' Python backend (which register.py brings along because the
host runs as a PEX) need the Python backend's whole setup, which the build tests do not load;
everything else comes from the one list in register.py.
"""

import itertools
from typing import Any, Iterable, TypeVar

from pants.backend.python import register as python_backend
from pants.core.util_rules import archive, system_binaries
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import RuleRunner

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


T = TypeVar("T")

# Pants 2.17's engine can fail to start a process at all under load: "Error launching process
# after 1 retry for ETXTBSY. Final error was: Os { code: 22, ... Invalid argument }" (seen in
# fresh-machine and CI runs on `./find_binary.sh`, with heavy test targets running at once). The
# plugin no longer runs find_binary.sh per tool (find_tools.sh says why), but Pants still does for
# bash and for its shims. That is the test engine failing, not the build under test.
ENGINE_LAUNCH_FAILURE = "Error launching process"
LAUNCH_ATTEMPTS = 3
_retry_sessions = itertools.count(1)


class BuildRuleRunner(RuleRunner):
    """A RuleRunner that makes a request again, in a new session (a failed process is not
    remembered across sessions), when the engine could not launch one of its processes; at most
    LAUNCH_ATTEMPTS times in all. Every other failure, including the ones a test expects, is
    raised as is."""

    def request(self, output_type: type[T], inputs: Iterable[Any]) -> T:
        inputs = list(inputs)
        for _ in range(LAUNCH_ATTEMPTS - 1):
            try:
                return super().request(output_type, inputs)
            except ExecutionError as e:
                if ENGINE_LAUNCH_FAILURE not in str(e):
                    raise
                self.new_session(f"retry-after-launch-failure-{next(_retry_sessions)}")
        return super().request(output_type, inputs)
