"""Postgres message framing on the hot path, fed in every possible chunking.

Guest and server bytes arrive split at arbitrary points (one recv may end inside a header
or a payload); the transaction tracking must come out the same for every split.
"""

from __future__ import annotations

import pytest

from warpgrid.shims.database.errors import ProtocolError
from warpgrid.shims.database.postgres import PgSession, PgState, message, startup_reply
from warpgrid.shims.database.states import ClientState, ServerState
from warpgrid.shims.database.upstream import Upstream


class RecordingSocket:
    def __init__(self) -> None:
        self.sent = bytearray()

    def sendall(self, data) -> None:
        self.sent += data


def _session() -> PgSession:
    up = Upstream(sock=RecordingSocket(), endpoint="t", created_at=0, last_used=0, replay=PgState(),
                  state=ServerState.LENT)
    session = PgSession(up, None)
    session.to(ClientState.OPEN)  # as after an answered startup packet
    return session


# Extended-protocol request (Parse/Bind/Describe/Execute/Sync) and a simple query.
REQUEST = (message(b"P", b"\0SELECT 1\0\0\0") + message(b"B", bytes(10)) + message(b"D", b"P\0")
           + message(b"E", bytes(5)) + message(b"S") + message(b"Q", b"BEGIN\0"))
RESPONSE = (message(b"1") + message(b"2") + message(b"T", b"\0\1?column?\0" + bytes(18))
            + message(b"D", b"\0\1\0\0\0\0011") + message(b"C", b"SELECT 1\0") + message(b"Z", b"I")
            + message(b"C", b"BEGIN\0") + message(b"Z", b"T"))


@pytest.mark.parametrize("size", range(1, len(RESPONSE) + 1))
def test_every_split_gives_the_same_tracking(size):
    s = _session()
    for j in range(0, len(REQUEST), size):
        s.from_guest(REQUEST[j:j + size])
    assert bytes(s.up.sock.sent) == REQUEST  # forwarded unchanged
    assert (s.server.pending, s.up.state) == (2, ServerState.BUSY)
    for j in range(0, len(RESPONSE), size):
        s.track_upstream(RESPONSE[j:j + size])
    assert (s.server.pending, s.up.replay.status) == (0, ord("T"))
    assert s.up.state is ServerState.IN_TRANSACTION
    assert s.server.settled()


def test_terminate_is_not_forwarded():
    s = _session()
    s.from_guest(message(b"Q", b"SELECT 1\0") + message(b"X"))
    assert bytes(s.up.sock.sent) == message(b"Q", b"SELECT 1\0")
    assert s.state is ClientState.ENDED


@pytest.mark.parametrize("bad", [b"\x00\0\0\0\x04", b"Q\0\0\0\x02", b"p\0\0\0\x08pass"],
                         ids=["unknown-type", "short-length", "password-after-startup"])
def test_malformed_frontend_messages(bad):
    with pytest.raises(ProtocolError):
        _session().from_guest(bad)


def test_startup_reply_is_cached_until_a_parameter_changes():
    state = PgState(params={"TimeZone": "UTC"}, backend_key=b"\0\0\0\x01\0\0\0\x02")
    first = state.reply()
    assert state.reply() is first  # reused by every checkout
    state.set_param("TimeZone", "UTC")  # same value: still the cached bytes
    assert state.reply() is first
    state.set_param("TimeZone", "Europe/Paris")
    rebuilt = state.reply()
    assert rebuilt is not first
    assert b"TimeZone\0Europe/Paris\0" in rebuilt and b"TimeZone\0UTC\0" not in rebuilt
    assert rebuilt == startup_reply({"TimeZone": "Europe/Paris"}, state.backend_key)
