"""Guest output callbacks are released before the interpreter finalizes (warpgrid.guest_output).

A release that wasmtime's tokio worker delivers during finalization aborts the process after
all its work is done (SIGABRT); these tests run real guests and real process exits."""

import gc
import subprocess
import sys
import textwrap
import weakref

from warpgrid.guest_output import RELEASES, GuestOutput


def test_a_deleted_store_owes_its_outputs_release_and_wasmtime_pays(make_engine, cli_guest) -> None:
    engine = make_engine()
    chunks: list[bytes] = []
    wrapped, released = RELEASES.wrap(chunks.append)
    assert isinstance(wrapped, GuestOutput) and released is not None
    alive = weakref.ref(wrapped)
    guest = engine.instantiate(engine.load_component(cli_guest), argv=["cli_service", "threading", "x"],
                               stdout=wrapped)
    del wrapped
    assert guest.run() == 0
    assert b"".join(chunks) == b"threading x\n"
    guest.close()
    del guest
    gc.collect()
    assert RELEASES.wait(5.0)
    assert released.is_set() and alive() is None


def test_no_output_is_tracked_as_none() -> None:
    assert RELEASES.wrap(None) == (None, None)


def test_processes_that_ran_guests_exit_cleanly(cli_guest, tmp_path) -> None:
    """Without the wait, about two exits in five of this guest run aborted (SIGABRT); ten in a row
    all exit 0 now."""
    script = textwrap.dedent(f"""
        from warpgrid.config import parse_config
        from warpgrid.engine import WarpGridEngine
        config = parse_config('[dns]\\nregistry = {{ "api.prod.warp.local" = ["10.0.0.5", "fd00::1"] }}\\n', source="t")
        engine = WarpGridEngine(config, cache_dir={str(tmp_path / "cache")!r})
        argv = ["cli_service", "dns", "api.prod.warp.local", "dns", "localhost", "dns", "no-such-host.invalid"]
        chunks = []
        with engine.instantiate(engine.load_component({str(cli_guest)!r}), argv=argv, stdout=chunks.append) as guest:
            assert guest.run() == 0
        assert b"".join(chunks).endswith(b"error not-found\\n"), chunks
        engine.close()
    """)
    env_path = ":".join(p for p in sys.path if p)
    for attempt in range(10):
        done = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": env_path},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"run {attempt}: exit {done.returncode}\n{done.stderr[-2000:]}"
