"""Fetch a pinned upstream into a digest: one file, verified against the pin's sha256 and size.

The download runs as a cacheable Process (scripts/fetch_upstream.py under a fingerprinted system
python3) whose argv holds the whole pin, sources and sha256 included: any pin edit is a new cache
key, and the output is verified before it is returned, so the result is safe to share through
local and remote caches. A failed fetch is never cached and raises `UpstreamFetchError` with the
script's per-source report (expected/actual hashes, each source's reason).
"""

from __future__ import annotations

import os

from pants.base.build_root import BuildRoot
from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import CreateDigest, Digest, DigestEntries, FileEntry, RemovePrefix
from pants.engine.internals.selectors import Get, MultiGet
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.upstream.pins import PinnedDigest, PinRequest, UpstreamPin
from warpgrid_pants.upstream.subsystem import UpstreamsSubsystem
from warpgrid_pants.toolchains.system_tools import SystemTools, SystemToolsRequest, plugin_scripts

# Where the upstream machinery's own scripts sit in its sandboxes.
SCRIPTS_DIR = "__warpgrid_scripts"

FETCH_SCRIPT = "fetch_upstream.py"
_OUT_DIR = "out"
_FAILURE_MARKER = "WARPGRID-FETCH-FAILED"

# Client settings a user may need to reach a registry (proxies, mirrors). They are passed through
# when set; the fetched bytes are verified by hash either way, so they cannot change results.
# Env is part of the cache key, so a pin only passes the settings of the clients its sources
# use: a team's GOPROXY must not make it miss the cache for an npm pin.
_PROXY_ENV = (
    "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "SSL_CERT_FILE",
)
_KIND_ENV = {
    "url": (),
    "debian_source": (),
    "debian_binary": (),
    "npm": ("NPM_CONFIG_REGISTRY",),
    "pypi": ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT"),
    "go_module": ("GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOSUMDB"),
}

# Which clients each source kind runs (beyond python3, which runs the script and pip).
_KIND_TOOLS = {
    "url": (),
    "debian_source": ("apt-get",),
    "debian_binary": ("apt-get",),
    "npm": ("npm", "node"),
    "pypi": (),
    "go_module": ("go",),
}


def passthrough_env_names(kinds: set[str]) -> tuple[str, ...]:
    """The client settings passed to a fetch whose sources are of these kinds."""
    return tuple(sorted({*_PROXY_ENV, *(name for kind in kinds for name in _KIND_ENV[kind])}))


class UpstreamFetchError(Exception):
    """No source delivered the pinned bytes (or the fetch produced something else)."""


class FetchPinRequest(PinRequest):
    """Fetch an explicit pin."""


class FetchedUpstream(PinnedDigest):
    """`digest` holds exactly one file: `pin.filename`."""


def failure_message(pin: UpstreamPin, stderr: str, exit_code: int) -> str:
    """The user-facing error: the script's report, or its whole stderr if it crashed."""
    if _FAILURE_MARKER in stderr:
        report = stderr.split(_FAILURE_MARKER, 1)[1].strip()
    else:
        report = f"the fetch script failed (exit code {exit_code}):\n{stderr.strip()}"
    return f"{report}\n(pin [{pin.name}] in {pin.pins_file})"


def verify_entries(pin: UpstreamPin, entries: tuple) -> None:
    """The Process output must be exactly `out/<filename>` with the pinned sha256 and size."""
    files = [e for e in entries if isinstance(e, FileEntry)]
    expected_path = f"{_OUT_DIR}/{pin.filename}"
    if len(files) != 1 or files[0].path != expected_path:
        got = ", ".join(e.path for e in entries) or "nothing"
        raise UpstreamFetchError(
            f"Fetching upstream `{pin.name}` produced [{got}] instead of {expected_path}."
        )
    digest = files[0].file_digest
    if digest.fingerprint != pin.sha256 or digest.serialized_bytes_length != pin.size:
        raise UpstreamFetchError(
            f"Fetched upstream `{pin.name}` does not match its pin in {pin.pins_file}: expected "
            f"sha256 {pin.sha256} ({pin.size} bytes), actual sha256 {digest.fingerprint} "
            f"({digest.serialized_bytes_length} bytes)."
        )


@rule(desc="Fetching a pinned upstream", level=LogLevel.DEBUG)
async def fetch_pin(
    request: FetchPinRequest, subsystem: UpstreamsSubsystem, build_root: BuildRoot
) -> FetchedUpstream:
    pin = request.pin
    optional_tools = sorted({t for s in pin.sources for t in _KIND_TOOLS[s.kind]})
    tools = await Get(
        SystemTools,
        SystemToolsRequest(
            ("python3",),
            optional=tuple(optional_tools),
            rationale=f"fetch the pinned upstream `{pin.name}`",
        ),
    )
    script, passthrough = await MultiGet(
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.upstream", FETCH_SCRIPT, prefix=SCRIPTS_DIR)),
        Get(
            EnvironmentVars,
            EnvironmentVarsRequest(passthrough_env_names({src.kind for src in pin.sources})),
        ),
    )

    argv = [tools.path("python3"), f"{SCRIPTS_DIR}/{FETCH_SCRIPT}", "--pin", pin.to_json(), "--out", _OUT_DIR]
    if subsystem.offline_dir:
        argv += ["--offline-dir", os.path.join(build_root.path, subsystem.offline_dir)]
    if not subsystem.allow_network:
        argv.append("--no-network")

    env = {
        **{k: v for k, v in passthrough.items()},
        **tools.env(),
        "HOME": "{chroot}/home",
        "LANG": "C.UTF-8",
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "PIP_NO_CACHE_DIR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=argv,
            description=f"Fetching upstream {pin.name} {pin.version} ({pin.filename})",
            level=LogLevel.INFO,
            input_digest=script,
            immutable_input_digests=tools.immutable_input_digests,
            env=env,
            output_directories=(_OUT_DIR,),
            # Prefer a remote cache hit over re-downloading (2.17 races them otherwise).
            remote_cache_speculation_delay_millis=2000,
        ),
    )
    if result.exit_code != 0:
        raise UpstreamFetchError(
            failure_message(pin, result.stderr.decode("utf-8", "replace"), result.exit_code)
        )
    entries = await Get(DigestEntries, Digest, result.output_digest)
    verify_entries(pin, tuple(entries))
    digest = await Get(Digest, RemovePrefix(result.output_digest, _OUT_DIR))
    return FetchedUpstream(pin=pin, digest=digest)


def rules():
    return collect_rules()
