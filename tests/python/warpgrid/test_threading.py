"""Threading declarations set deployment flags; parallel-required warns."""

import logging

from support import run_cli_guest

from warpgrid.guest import HttpRequest


def test_parallel_required_warns_and_sets_status_flag(make_engine, cli_guest, caplog) -> None:
    engine = make_engine()
    with caplog.at_level(logging.WARNING, logger="warpgrid"):
        code, out = run_cli_guest(engine, cli_guest, "threading", "parallel-required")
    assert code == 0 and "threading parallel-required" in out
    assert engine.deployment.parallel_required is True
    assert engine.deployment.threading_model == "parallel-required"
    assert any("parallel-required" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert engine.deployment.warnings


def test_cooperative_selects_sequential_execution(make_engine, http_guest) -> None:
    engine = make_engine()
    loaded = engine.load_component(http_guest)
    with engine.instantiate(loaded) as guest:
        guest.call_handler(HttpRequest("GET", "/threading/cooperative"))
    assert engine.deployment.sequential is True
    assert engine.deployment.parallel_required is False
    with engine.instantiate(loaded) as guest:  # still served, now under the sequential lock
        assert guest.call_handler(HttpRequest("GET", "/x")).status == 200


def test_single_threaded_sets_nothing(make_engine, cli_guest) -> None:
    engine = make_engine()
    run_cli_guest(engine, cli_guest, "threading", "single-threaded")
    status = engine.deployment
    assert (status.parallel_required, status.sequential, status.warnings) == (False, False, [])
