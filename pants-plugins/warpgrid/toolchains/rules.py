"""Every toolchain rule: host clang-19 (+ resource dir), pinned wasm-tools/adapters, wasi-libc."""

from warpgrid.toolchains import clang, wasi_libc, wasm_tools


def rules():
    return [*clang.rules(), *wasm_tools.rules(), *wasi_libc.rules()]
