"""`python -m warpgrid.aio serve --workers 2`: two worker processes share one port and stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from support import subprocess_env


def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out.extend(int(c) for c in f.read().split())
    return out


def test_two_workers_share_the_port_and_stop_on_sigterm(http_guest, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "warpgrid.aio", "serve", str(http_guest), "--workers", "2",
         "--listen", "127.0.0.1:0", "--no-cache"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "(async host, 2 workers)" not in line:
            proc.kill()
            pytest.fail(f"no Serving line; stderr:\n{proc.communicate()[1][-3000:]}")
        url = line.split()[1]
        assert len(_children(proc.pid)) == 2
        for i in range(6):
            with urllib.request.urlopen(f"{url}/hello/{i}", timeout=10) as response:
                assert response.read() == f"GET /hello/{i}\n".encode()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
