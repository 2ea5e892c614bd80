"""Throwaway PostgreSQL, MariaDB and Redis servers on 127.0.0.1 for tests and benchmarks.

Each server is a child process in a temp dir, on a free port, that stops with `stop()`
and dies with its parent (PR_SET_PDEATHSIG) even if the test run is killed. Servers that
refuse to run as root (postgres, mariadbd) run as their Debian system user.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_PR_SET_PDEATHSIG = 1
# Sandboxed runners (Pants) may pass a minimal PATH; the Debian server binaries live here.
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Another user (postgres, mysql) must reach the data dir: not a private sandbox TMPDIR.
_TMP_ROOT = os.environ.get("WARPGRID_DB_TMPDIR", "/tmp")
_ENV = {**os.environ, "PATH": f"{os.environ.get('PATH', '')}:{_SYSTEM_PATH}".lstrip(":"), "TMPDIR": _TMP_ROOT}


def find(binary: str) -> str | None:
    """A server binary on PATH or in the Debian system directories."""
    return shutil.which(binary, path=_ENV["PATH"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_setup(user: str | None, death_signal: int):
    """preexec_fn: drop to `user` first (a uid change clears the death signal), then arm it."""
    def setup() -> None:
        os.setsid()
        if user is not None and os.geteuid() == 0:
            pw = pwd.getpwnam(user)
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, death_signal)
    return setup


def _run_as(user: str | None, argv: list[str], **kw) -> None:
    res = subprocess.run(argv, preexec_fn=_child_setup(user, signal.SIGKILL), capture_output=True, text=True,
                         env=_ENV, **kw)
    if res.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")


def _wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s:\n{log.read_text() if log.exists() else ''}")


def _owned_tempdir(prefix: str, user: str | None) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_TMP_ROOT))
    _CREATED.append(path)
    if user is not None and os.geteuid() == 0:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def _self_signed(root: Path, user: str | None) -> tuple[Path, Path]:
    """A throwaway certificate for localhost/127.0.0.1; it is also the CA a client pins."""
    crt, key = root / "server.crt", root / "server.key"
    _run_as(user, ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                   "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                   "-keyout", str(key), "-out", str(crt)])
    return crt, key


# Temp dirs made and servers started by this process, so a failed setup can undo its own.
_CREATED: list[Path] = []
_STARTED: dict[Path, "LocalServer"] = {}


@dataclass
class LocalServer:
    """A server process; `start()` again after `stop()` restarts it on the same port/data."""

    argv: list[str]
    port: int
    root: Path
    user: str | None
    stop_signal: int = signal.SIGTERM
    proc: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)
    # Run until it exits 0 after the port opens (Postgres listens before it accepts logins).
    ready_argv: list[str] | None = None

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def start(self) -> None:
        _STARTED[self.root] = self
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=_child_setup(self.user, signal.SIGKILL), cwd=self.root, env=_ENV)
        logf.close()
        _wait_port(self.port, self.proc, self.log)
        if self.ready_argv:
            deadline = time.monotonic() + 30
            while subprocess.run(self.ready_argv, capture_output=True, env=_ENV).returncode != 0:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"server never became ready:\n{self.log.read_text()}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def destroy(self) -> None:
        _STARTED.pop(self.root, None)
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _cleanup_on_failure(build, *args, **kw) -> LocalServer:
    """Run a server factory; if setup fails, stop what started and remove the temp dir."""
    first = len(_CREATED)
    try:
        return build(*args, **kw)
    except BaseException:
        for path in _CREATED[first:]:  # only this process's dirs, never a parallel run's
            server = _STARTED.pop(path, None)
            if server is not None:
                server.stop()
            shutil.rmtree(path, ignore_errors=True)
        raise


def postgres(passwords: dict[str, str], md5_users: dict[str, str] | None = None, tls: bool = True) -> LocalServer:
    """PostgreSQL 15 with SCRAM for `passwords`, md5 for `md5_users`, database `app` (owner: first user)."""
    return _cleanup_on_failure(_postgres, passwords, md5_users, tls)


def mariadb(user: str, password: str, database: str = "app") -> LocalServer:
    """MariaDB with `user`@'%' (mysql_native_password) owning `database`; TLS with extra["ca_file"]."""
    return _cleanup_on_failure(_mariadb, user, password, database)


def redis(password: str) -> LocalServer:
    """Plaintext on `port`; TLS (self-signed, see extra["ca_file"]) on extra["tls_port"]."""
    return _cleanup_on_failure(_redis, password)


def _postgres(passwords: dict[str, str], md5_users: dict[str, str] | None = None, tls: bool = True) -> LocalServer:
    """PostgreSQL 15 with SCRAM for `passwords`, md5 for `md5_users`, database `app` (owner: first user)."""
    user = "postgres" if os.geteuid() == 0 else None
    root = _owned_tempdir("wg-pg-", user)
    data = root / "data"
    port = free_port()
    superpw = "super-" + os.urandom(6).hex()
    (root / "pw").write_text(superpw)
    if user:
        shutil.chown(root / "pw", user)
    _run_as(user, [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
                   f"--pwfile={root / 'pw'}", "-E", "UTF8", "--no-sync"])
    conf = [f"port = {port}", "listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{root}'",
            "fsync = off", "synchronous_commit = off", "full_page_writes = off", "max_connections = 60",
            "shared_buffers = 16MB"]
    if tls:
        crt, key = _self_signed(root, user)
        conf += ["ssl = on", f"ssl_cert_file = '{crt}'", f"ssl_key_file = '{key}'"]
    with open(data / "postgresql.conf", "a") as f:
        f.write("\n".join(conf) + "\n")
    hba = ["local all all trust"]
    for name in (md5_users or {}):
        hba.append(f"host all {name} 127.0.0.1/32 md5")
    hba.append("host all all 127.0.0.1/32 scram-sha-256")
    (data / "pg_hba.conf").write_text("\n".join(hba) + "\n")
    server = LocalServer([str(PG_BIN / "postgres"), "-D", str(data)], port, root, user, stop_signal=signal.SIGINT,
                         ready_argv=[str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)])
    server.extra.update(superuser_password=superpw, ca_file=root / "server.crt" if tls else None)
    server.start()
    sql = []
    owner = next(iter(passwords))
    for name, pw in passwords.items():
        sql.append(f"CREATE ROLE {name} LOGIN PASSWORD '{pw}';")
    for name, pw in (md5_users or {}).items():
        sql.append(f"SET password_encryption = 'md5'; CREATE ROLE {name} LOGIN PASSWORD '{pw}'; "
                   "RESET password_encryption;")
    sql.append(f"CREATE DATABASE app OWNER {owner};")
    for name in list(passwords) + list(md5_users or {}):
        sql.append(f"GRANT ALL ON DATABASE app TO {name};")
    psql = [str(PG_BIN / "psql"), "-h", str(root), "-p", str(port), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-q"]
    _run_as(user, psql + [arg for stmt in sql for arg in ("-c", stmt)])
    _run_as(user, [str(PG_BIN / "psql"), "-h", str(root), "-p", str(port), "-U", "postgres", "-d", "app",
                   "-v", "ON_ERROR_STOP=1", "-q", "-c", "GRANT ALL ON SCHEMA public TO PUBLIC;"])
    return server


def _mariadb(user: str, password: str, database: str = "app") -> LocalServer:
    """MariaDB with `user`@'%' (mysql_native_password) owning `database`."""
    os_user = "mysql" if os.geteuid() == 0 else None
    root = _owned_tempdir("wg-my-", os_user)
    data = root / "data"
    sock = root / "mysqld.sock"
    port = free_port()
    _run_as(os_user, ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
                      "--skip-test-db", "--skip-name-resolve"])
    crt, key = _self_signed(root, os_user)
    argv = ["mariadbd", "--no-defaults", f"--ssl-cert={crt}", f"--ssl-key={key}", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
            f"--socket={sock}", f"--pid-file={root / 'mysqld.pid'}", "--skip-name-resolve",
            "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--skip-log-bin",
            "--max-connections=60", "--performance-schema=OFF"]
    server = LocalServer(argv, port, root, os_user)
    server.extra["ca_file"] = crt
    server.start()
    import pymysql  # the test/bench dependency, used only to create the account
    conn = pymysql.connect(unix_socket=str(sock), user="root", password="")
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {database}")
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
        cur.execute(f"GRANT ALL ON {database}.* TO '{user}'@'%'")
    conn.close()
    return server


def _redis(password: str) -> LocalServer:
    """Plaintext on `port`; TLS (self-signed, see extra["ca_file"]) on extra["tls_port"]."""
    root = _owned_tempdir("wg-redis-", None)
    port, tls_port = free_port(), free_port()
    crt, key = _self_signed(root, None)
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--requirepass", password,
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(root),
            "--tls-port", str(tls_port), "--tls-cert-file", str(crt), "--tls-key-file", str(key),
            "--tls-auth-clients", "no"]
    server = LocalServer(argv, port, root, None)
    server.extra.update(ca_file=crt, tls_port=tls_port)
    server.start()
    return server
