"""Proxy failures, one class per WIT `db-error` case so the shim can return `exc.code`."""

from __future__ import annotations


class DbError(Exception):
    """Base: `code` is the WIT enum string handed to the guest."""

    code = "protocol-error"


class ConnectionRefused(DbError):
    """Endpoint not allowed, unreachable, or upstream authentication failed (details go to the log)."""

    code = "connection-refused"


class Timeout(DbError):
    code = "timeout"


class ProtocolError(DbError):
    """Malformed guest bytes (or a broken upstream stream): the upstream connection is discarded."""

    code = "protocol-error"


class PoolExhausted(DbError):
    code = "pool-exhausted"


class Closed(DbError):
    """Unknown handle, a handle of another instance, or a finished session."""

    code = "closed"
