"""The `warpgrid` command line (in-process through cli.main, plus `python -m warpgrid`)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from support import subprocess_env, warpgrid_cmd

from warpgrid.cli import EXIT_CONFIG, EXIT_FAULT, EXIT_LISTEN, EXIT_LOAD, main


def test_check_valid_config_prints_summary(tmp_path, capsys) -> None:
    path = tmp_path / "warp.toml"
    path.write_text('[shims]\ndatabase_proxy = false\n[http]\nlisten = "127.0.0.1:9000"\n')
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: OK" in out
    assert "shims enabled: filesystem, dns, signals, threading" in out
    assert "listen 127.0.0.1:9000" in out


def test_check_invalid_config_exits_nonzero_naming_the_key(tmp_path, capsys) -> None:
    path = tmp_path / "warp.toml"
    path.write_text("[shims]\nbogus_key_17 = true\n")
    assert main(["check", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert str(path) in err and "shims.bogus_key_17" in err


def test_check_as_a_process(tmp_path) -> None:
    path = tmp_path / "warp.toml"
    path.write_text("[limits]\nmemory_mb = -5\n")
    proc = warpgrid_cmd("check", str(path))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_CONFIG, err
    assert "limits.memory_mb" in err and "greater than or equal to 1" in err


def test_run_passes_arguments_and_exit_status(cli_guest, tmp_path, capfd) -> None:
    code = main(["run", str(cli_guest), "--cache-dir", str(tmp_path), "--", "is-virtual", "/etc/hosts", "exit", "3"])
    assert code == 1  # WASI 0.2 exit carries ok/err only
    assert "is-virtual /etc/hosts 1" in capfd.readouterr().out


def test_run_with_config(cli_guest, tmp_path, capfd) -> None:
    config = tmp_path / "warp.toml"
    config.write_text('[dns]\nhosts = { "db.internal" = ["192.168.1.10"] }\n')
    assert main(["run", str(cli_guest), "--config", str(config), "--no-cache", "--", "dns", "db.internal"]) == 0
    assert "dns db.internal 192.168.1.10" in capfd.readouterr().out


def test_run_with_disabled_shim_fails_with_the_fix(cli_guest, tmp_path, capsys) -> None:
    config = tmp_path / "warp.toml"
    config.write_text("[shims]\ndns = false\n")
    assert main(["run", str(cli_guest), "--config", str(config), "--no-cache"]) == EXIT_LOAD
    assert "set `dns = true` under [shims]" in capsys.readouterr().err


def test_serve_with_disabled_shim_stops_at_start_up_with_the_fix(http_guest, tmp_path, capsys) -> None:
    """Checked when the component loads, before the socket serves anything (not per request)."""
    config = tmp_path / "warp.toml"
    config.write_text('[shims]\nsignals = false\n[http]\nlisten = "127.0.0.1:0"\n')
    code = main(["serve", str(http_guest), "--config", str(config), "--no-cache", "--workers", "1"])
    assert code == EXIT_LOAD
    err = capsys.readouterr().err
    assert "imports warpgrid:shim/signals@0.1.0" in err and "set `signals = true` under [shims]" in err


def test_inspect_lists_imports_exports_and_needed_shims(http_guest, capsys) -> None:
    assert main(["inspect", str(http_guest)]) == 0
    out = capsys.readouterr().out
    assert "  warpgrid:shim/signals@0.1.0" in out
    assert "  warpgrid:shim/http-handler@0.1.0" in out
    assert "shims needed: signals, threading" in out
    assert "runs with: warpgrid serve" in out


def test_inspect_with_config_flags_disabled_shims(cli_guest, tmp_path, capsys) -> None:
    config = tmp_path / "warp.toml"
    config.write_text("[shims]\nthreading = false\n")
    assert main(["inspect", str(cli_guest), "--config", str(config)]) == EXIT_LOAD
    assert "threading (warpgrid:shim/threading@0.1.0): DISABLED" in capsys.readouterr().out


def test_missing_component_is_reported(tmp_path, capsys) -> None:
    assert main(["run", str(tmp_path / "absent.wasm")]) == EXIT_LOAD
    assert "absent.wasm does not exist" in capsys.readouterr().err


def test_serve_rejects_non_loopback_listen(http_guest, capsys) -> None:
    assert main(["serve", str(http_guest), "--listen", "0.0.0.0:80"]) == EXIT_CONFIG
    assert "--listen" in capsys.readouterr().err


def test_guest_args_after_dashdash_only_for_run(http_guest) -> None:
    with pytest.raises(SystemExit):
        main(["inspect", str(http_guest), "--", "x"])


def test_serve_on_a_busy_port_is_a_clear_error(http_guest, tmp_path, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(http_guest), "--listen", f"127.0.0.1:{port}", "--no-cache"]) == EXIT_LISTEN
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_run_deadline_stops_a_guest_that_never_finishes(cli_guest, tmp_path, capsys) -> None:
    config = tmp_path / "warp.toml"
    config.write_text("[limits]\nrun_timeout_ms = 300\n")
    assert main(["run", str(cli_guest), "--config", str(config), "--no-cache", "--", "wait-signal"]) == EXIT_FAULT
    assert "timeout" in capsys.readouterr().err


# A stand-in for `pants run`: starts the command in a session of its own (as Pants 2.17 does),
# reports the command's pid and first stdout line, then waits to be killed.
LAUNCHER = """
import subprocess, sys, time
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=open(sys.argv[1], "w"), text=True,
                         start_new_session=True)
print(child.pid, child.stdout.readline().strip(), flush=True)
time.sleep(300)
"""


def _gone(pid: int) -> bool:
    """Exited: reaped, or a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_exit_with_parent_stops_a_server_whose_launcher_is_killed(http_guest, tmp_path) -> None:
    log = tmp_path / "serve.log"
    host = [sys.executable, "-m", "warpgrid", "--exit-with-parent", "serve", str(http_guest),
            "--listen", "127.0.0.1:0", "--workers", "2", "--cache-dir", str(tmp_path / "cache")]
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(log), *host], stdout=subprocess.PIPE, text=True, env=subprocess_env(),
    )
    try:
        pid_text, serving = launcher.stdout.readline().split(" ", 1)
        pid, url = int(pid_text), serving.strip().removeprefix("Serving ")
        with urllib.request.urlopen(url + "/", timeout=30) as answer:
            assert answer.status == 200
    finally:
        launcher.kill()  # SIGKILL: nothing is passed on, as when Pants is stopped
        launcher.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not _gone(pid):
        os.killpg(pid, signal.SIGKILL)
        pytest.fail(f"the server (pid {pid}) outlived its launcher by 30 s:\n{log.read_text()}")
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/", timeout=5)
    assert "has exited: stopping as on SIGTERM" in log.read_text()
