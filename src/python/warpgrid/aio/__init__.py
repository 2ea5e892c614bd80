"""The async host (seed domain 5): many requests in flight per worker thread.

Guests run on wasmtime fibers through the C API's async entry points (`capi`); host functions
that would wait on the network suspend the guest's fiber instead of blocking the OS thread, and
one asyncio event loop per worker resumes them when their sockets are ready.
See docs/domains/05-async.md for what the C API offers from Python and what it does not.
"""
