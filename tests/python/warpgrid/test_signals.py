"""Signal queue bound and poll semantics, host delivery to live instances, host OS signals."""

import signal

import pytest

from support import warpgrid_cmd

from warpgrid.guest import HttpRequest
from warpgrid.shims.signals import QUEUE_LIMIT, SignalQueue


def test_register_returns_true_only_the_first_time() -> None:
    queue = SignalQueue()
    assert queue.register("terminate") is True
    assert queue.register("terminate") is False


def test_unregistered_signals_are_ignored() -> None:
    queue = SignalQueue()
    queue.register("hangup")
    assert queue.deliver("terminate") is False
    assert queue.poll() is None
    assert queue.ignored == 1


def test_poll_is_fifo_and_none_when_empty() -> None:
    queue = SignalQueue()
    for s in ("terminate", "hangup", "interrupt"):
        queue.register(s)
    for s in ("hangup", "interrupt", "terminate"):
        queue.deliver(s)
    assert [queue.poll(), queue.poll(), queue.poll(), queue.poll()] == ["hangup", "interrupt", "terminate", None]


def test_queue_is_bounded_at_16_and_drops_oldest() -> None:
    queue = SignalQueue()
    queue.register("hangup")
    queue.register("terminate")
    for _ in range(QUEUE_LIMIT + 3):
        queue.deliver("hangup")
    queue.deliver("terminate")
    assert QUEUE_LIMIT == 16
    assert len(queue) == 16
    assert queue.dropped == 4
    drained = [queue.poll() for _ in range(16)]
    assert drained == ["hangup"] * 15 + ["terminate"]  # the newest signal survives
    assert queue.poll() is None


def test_unknown_signal_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown signal 'kill'"):
        SignalQueue().register("kill")


def test_guest_polls_what_the_host_delivered(make_engine, http_guest) -> None:
    engine = make_engine()
    loaded = engine.load_component(http_guest)
    with engine.instantiate(loaded) as guest:
        assert guest.call_handler(HttpRequest("GET", "/signals/poll")).body == b""
        assert engine.deliver_signal("terminate") == 0  # not registered yet
        assert guest.call_handler(HttpRequest("GET", "/signals/register")).body == b"registered"
        for _ in range(18):
            engine.deliver_signal("hangup")
        assert engine.deliver_signal("interrupt") == 1
        body = guest.call_handler(HttpRequest("GET", "/signals/poll")).body.decode()
        assert body.split() == ["hangup"] * 15 + ["interrupt"]
        assert guest.call_handler(HttpRequest("GET", "/signals/poll")).body == b""
    assert engine.deliver_signal("terminate") == 0  # closed instances are no longer live


@pytest.mark.parametrize(
    ("host_signal", "expected"),
    [(signal.SIGTERM, "got terminate"), (signal.SIGHUP, "got hangup"), (signal.SIGINT, "got interrupt")],
)
def test_host_os_signal_reaches_running_cli_guest(cli_guest, tmp_path, host_signal, expected) -> None:
    proc = warpgrid_cmd("run", str(cli_guest), "--cache-dir", str(tmp_path), "--", "wait-signal")
    try:
        assert proc.stdout.readline().strip() == "waiting for signals"
        proc.send_signal(host_signal)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out.strip() == expected, err
    assert proc.returncode == 0, err
