"""Proxy failures, one class per WIT `db-error` case so the shim can return `exc.code`."""

from __future__ import annotations


class DbError(Exception):
    """Base: `code` is the WIT enum string handed to the guest."""

    code = "protocol-error"


def _case(name: str, code: str, doc: str) -> type[DbError]:
    return type(name, (DbError,), {"code": code, "__doc__": doc, "__module__": __name__})


ConnectionRefused = _case(
    "ConnectionRefused", "connection-refused",
    "Endpoint not allowed, unreachable, or upstream authentication failed (details go to the log).")
Timeout = _case("Timeout", "timeout", "The database (or the request deadline) ran out of time.")
ProtocolError = _case(
    "ProtocolError", "protocol-error",
    "Malformed guest bytes (or a broken upstream stream): the upstream connection is discarded.")
PoolExhausted = _case("PoolExhausted", "pool-exhausted", "Every pooled connection stayed busy past the checkout timeout.")
Closed = _case("Closed", "closed", "Unknown handle, a handle of another instance, or a finished session.")


class DeadlinePassed(Timeout):  # type: ignore[misc, valid-type]
    """The guest request's deadline ended the wait (WIT `timeout`); the guest is then stopped."""
