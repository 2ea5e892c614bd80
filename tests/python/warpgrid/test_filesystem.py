"""Every virtual path, through a real guest calling warpgrid:shim/filesystem, and through
read-only preopens for an unpatched guest."""

from importlib import resources
from pathlib import Path

import pytest

from support import run_cli_guest

CONFIG = """
[dns]
registry = { "api.prod.warp.local" = ["10.0.0.5", "10.0.0.6"] }
hosts = { "db.internal" = ["192.168.1.10"] }
nameservers = ["10.0.0.2", "10.0.0.3"]

[filesystem]
files = { "/etc/app/app.conf" = "mode=prod\\n" }
urandom_bytes = 64

[env]
APP_ENV = "prod"
"""


def read_virtual(engine, component: Path, path: str) -> tuple[int, bytes] | None:
    """(size, first 24 bytes) of a virtual file read from inside the guest, or None."""
    code, out = run_cli_guest(engine, component, "read", path)
    assert code == 0, out
    line = out.strip()
    if line.endswith(" none"):
        return None
    header, _, hexbytes = line.partition(":")
    size = int(header.split()[2])
    return size, bytes.fromhex(hexbytes.replace(" ", ""))


@pytest.fixture
def engine(make_engine):
    return make_engine(CONFIG)


def shim_tree(engine):
    return engine.shim("filesystem").tree


def test_dev_null_is_empty(engine, cli_guest) -> None:
    assert read_virtual(engine, cli_guest, "/dev/null") == (0, b"")


def test_dev_urandom_gives_fresh_host_randomness(engine, cli_guest) -> None:
    size, first = read_virtual(engine, cli_guest, "/dev/urandom")
    _, second = read_virtual(engine, cli_guest, "/dev/urandom")
    assert size == 64
    assert first != second


def test_resolv_conf_comes_from_dns_config(engine, cli_guest) -> None:
    expected = shim_tree(engine).read("/etc/resolv.conf")
    assert b"nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch warp.local\n" in expected
    size, head = read_virtual(engine, cli_guest, "/etc/resolv.conf")
    assert (size, head) == (len(expected), expected[:24])


def test_hosts_lists_registry_and_overrides(engine, cli_guest) -> None:
    hosts = shim_tree(engine).read("/etc/hosts").decode()
    assert "10.0.0.5\tapi.prod.warp.local" in hosts
    assert "10.0.0.6\tapi.prod.warp.local" in hosts
    assert "192.168.1.10\tdb.internal" in hosts
    assert "127.0.0.1\tlocalhost" in hosts
    size, _ = read_virtual(engine, cli_guest, "/etc/hosts")
    assert size == len(hosts)


def test_extra_configured_file(engine, cli_guest) -> None:
    assert read_virtual(engine, cli_guest, "/etc/app/app.conf") == (10, b"mode=prod\n")


@pytest.mark.parametrize("name", ["cmdline", "comm", "environ", "stat", "status"])
def test_proc_self_files(engine, cli_guest, name) -> None:
    loaded = engine.load_component(cli_guest)
    chunks: list[bytes] = []
    with engine.instantiate(loaded, argv=["svc", "read", f"/proc/self/{name}"], stdout=chunks.append) as guest:
        assert guest.run() == 0
        expected = shim_tree(engine).read(f"/proc/self/{name}", guest.context)
    out = b"".join(chunks).decode()
    assert f"read /proc/self/{name} {len(expected)} bytes:" in out
    text = expected.decode()
    checks = {
        "cmdline": "svc\0read\0/proc/self/cmdline\0",
        "comm": "svc\n",
        "environ": "APP_ENV=prod\0",
        "stat": "1 (svc) R 0 1",
        "status": "Pid:\t1\n",
    }
    assert checks[name] in text


def test_zoneinfo_is_real_tzdata(engine, cli_guest) -> None:
    real = resources.files("tzdata").joinpath("zoneinfo", "Europe", "Paris").read_bytes()
    size, head = read_virtual(engine, cli_guest, "/usr/share/zoneinfo/Europe/Paris")
    assert (size, head) == (len(real), real[:24])
    assert head.startswith(b"TZif")


def test_non_virtual_paths_fall_through(engine, cli_guest) -> None:
    for path in ["/etc/passwd", "/usr/share/zoneinfo/Nowhere/City", "relative/etc/hosts", "/proc/self/maps"]:
        assert read_virtual(engine, cli_guest, path) is None


def test_path_normalization_cannot_escape_zoneinfo(engine) -> None:
    tree = shim_tree(engine)
    assert tree.read("/usr/share/zoneinfo/../../../etc/passwd") is None
    assert tree.read("//etc//resolv.conf") == tree.read("/etc/resolv.conf")


def test_is_virtual_and_list(engine, cli_guest) -> None:
    code, out = run_cli_guest(
        engine, cli_guest, "is-virtual", "/etc/hosts", "is-virtual", "/etc", "is-virtual",
        "/usr/share/zoneinfo/UTC", "is-virtual", "/home/x", "list",
    )
    assert code == 0
    assert "is-virtual /etc/hosts 1" in out
    assert "is-virtual /etc 0" in out
    assert "is-virtual /usr/share/zoneinfo/UTC 1" in out
    assert "is-virtual /home/x 0" in out
    listed = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("list ")]
    assert listed == sorted(listed)
    for path in ["/dev/null", "/dev/urandom", "/etc/hosts", "/etc/resolv.conf", "/etc/app/app.conf",
                 "/proc/self/status", "/usr/share/zoneinfo/"]:
        assert path in listed


def test_zoneinfo_can_be_disabled(make_engine, cli_guest) -> None:
    engine = make_engine("[filesystem]\nzoneinfo = false\n")
    assert read_virtual(engine, cli_guest, "/usr/share/zoneinfo/UTC") is None


def run_unpatched(engine, component: Path, *paths: str) -> tuple[int, str]:
    loaded = engine.load_component(component)
    chunks: list[bytes] = []
    with engine.instantiate(loaded, argv=["unpatched", *paths], stdout=chunks.append) as guest:
        code = guest.run()
    return code, b"".join(chunks).decode()


def test_unpatched_guest_reads_resolv_conf_and_zoneinfo_via_preopens(engine, unpatched_guest) -> None:
    code, out = run_unpatched(engine, unpatched_guest)
    assert code == 0, out
    resolv = shim_tree(engine).read("/etc/resolv.conf")
    paris = resources.files("tzdata").joinpath("zoneinfo", "Europe", "Paris").read_bytes()
    assert f"/etc/resolv.conf: {len(resolv)} bytes: # generated by warpgrid" in out
    assert f"/usr/share/zoneinfo/Europe/Paris: {len(paris)} bytes: TZif" in out


def test_unpatched_guest_sees_hosts_proc_dev_and_extra_files(engine, unpatched_guest) -> None:
    code, out = run_unpatched(engine, unpatched_guest, "/etc/hosts", "/proc/self/status", "/dev/null", "/etc/app/app.conf")
    assert code == 0, out
    assert "/proc/self/status: " in out and "Name:.unpatched" in out
    assert "/dev/null: 0 bytes" in out
    assert "/etc/app/app.conf: 10 bytes: mode=prod" in out


def test_unpatched_guest_without_filesystem_shim_sees_nothing(make_engine, unpatched_guest) -> None:
    engine = make_engine("[shims]\nfilesystem = false\n")
    code, out = run_unpatched(engine, unpatched_guest, "/etc/resolv.conf")
    assert code == 1
    assert "/etc/resolv.conf: cannot open" in out
