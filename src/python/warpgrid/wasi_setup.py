"""Per-instance WASI configuration, encoded once and replayed for every instance.

Why: ``Store.set_wasi`` consumes its ``WasiConfig``, so every instance needs a new one, and
wasmtime-py's setters re-encode every string into fresh ctypes arrays on each call (argv, env,
both paths of every preopen). With the default shims that was ~50 us per instance, a sixth of a
whole fresh-instance request. A :class:`WasiPlan` holds those arguments already encoded;
:meth:`WasiPlan.new_config` makes a ``WasiConfig`` and hands the cached arrays to the same C
functions the setters call. The C side copies what it is given (strings into Rust ``String``s;
a preopen opens its host directory), so one plan can feed any number of configs, from any thread.

Only the encoding is cached: each config still opens its preopened directories itself, exactly as
a bare wasmtime-py embedder's config would, so the guest sees the same thing either way.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from wasmtime import WasiConfig, WasmtimeError

from warpgrid.faults import InstantiationError
from warpgrid.shims.base import Preopen

try:  # wasmtime-py's private binding module; a version that moves it costs speed, not behaviour
    from wasmtime import _ffi as ffi

    _DIRECT = all(
        callable(getattr(ffi, name, None))
        for name in ("wasi_config_set_argv", "wasi_config_set_env", "wasi_config_preopen_dir",
                     "wasi_config_inherit_stdout", "wasi_config_inherit_stderr", "wasi_config_inherit_stdin")
    )
except ImportError:  # pragma: no cover - only on an incompatible wasmtime-py
    ffi = None
    _DIRECT = False

Output = Callable[[bytes], Any]
_CHAR_PP = ctypes.POINTER(ctypes.POINTER(ctypes.c_char))


def _char_array(strings: Sequence[str]) -> Any:
    """A ``char **`` over UTF-8 copies of ``strings`` (the cast keeps the array alive)."""
    array = (ctypes.c_char_p * len(strings))(*(s.encode("utf-8") for s in strings))
    return ctypes.cast(array, _CHAR_PP)


class WasiPlan:
    """argv, env and read-only preopens of one kind of instance, encoded for the C API once."""

    __slots__ = ("argv", "env", "preopens", "_argc", "_argv", "_envc", "_env_names", "_env_values", "_dirs")

    def __init__(self, argv: Sequence[str], env: Iterable[tuple[str, str]], preopens: Iterable[Preopen]) -> None:
        self.argv: tuple[str, ...] = tuple(argv)
        self.env: tuple[tuple[str, str], ...] = tuple((str(k), str(v)) for k, v in env)
        self.preopens: tuple[Preopen, ...] = tuple(preopens)
        self._argc = len(self.argv)
        self._argv = _char_array(self.argv)
        self._envc = len(self.env)
        self._env_names = _char_array([k for k, _ in self.env])
        self._env_values = _char_array([v for _, v in self.env])
        self._dirs = tuple(
            (ctypes.c_char_p(p.host_dir.encode("utf-8")), ctypes.c_char_p(p.guest_dir.encode("utf-8")))
            for p in self.preopens
        )

    def new_config(self, stdout: Output | None, stderr: Output | None, inherit_stdin: bool) -> WasiConfig:
        """A fresh WasiConfig: this plan's argv/env/preopens; stdout/stderr to the callbacks or
        inherited from the host; stdin inherited or empty."""
        if not _DIRECT:
            return self._new_config_public(stdout, stderr, inherit_stdin)
        wasi = WasiConfig()
        ptr = wasi.ptr()
        if self._argc and not ffi.wasi_config_set_argv(ptr, self._argc, self._argv):
            raise InstantiationError(f"WASI rejected argv {list(self.argv)!r}")
        if self._envc and not ffi.wasi_config_set_env(ptr, self._envc, self._env_names, self._env_values):
            raise InstantiationError(f"WASI rejected the environment {dict(self.env)!r}")
        if stdout is None:
            ffi.wasi_config_inherit_stdout(ptr)
        else:
            wasi.stdout_custom = stdout
        if stderr is None:
            ffi.wasi_config_inherit_stderr(ptr)
        else:
            wasi.stderr_custom = stderr
        if inherit_stdin:
            ffi.wasi_config_inherit_stdin(ptr)
        for i, (host_dir, guest_dir) in enumerate(self._dirs):
            if not ffi.wasi_config_preopen_dir(ptr, host_dir, guest_dir, False):
                raise self._preopen_error(i)
        return wasi

    def _new_config_public(self, stdout: Output | None, stderr: Output | None, inherit_stdin: bool) -> WasiConfig:
        """The same configuration through wasmtime-py's public setters (slower, always works)."""
        wasi = WasiConfig()
        wasi.argv = list(self.argv)
        wasi.env = list(self.env)
        if stdout is None:
            wasi.inherit_stdout()
        else:
            wasi.stdout_custom = stdout
        if stderr is None:
            wasi.inherit_stderr()
        else:
            wasi.stderr_custom = stderr
        if inherit_stdin:
            wasi.inherit_stdin()
        for i, (host_dir, guest_dir) in enumerate(self.preopens):
            try:
                wasi.preopen_dir(host_dir, guest_dir, False)
            except WasmtimeError:
                raise self._preopen_error(i) from None
        return wasi

    def _preopen_error(self, i: int) -> InstantiationError:
        host_dir, guest_dir = self.preopens[i]
        return InstantiationError(
            f"cannot preopen host directory {host_dir} as {guest_dir} for the guest (it must exist and be "
            "readable; the filesystem shim's directories live until the engine is closed)"
        )
