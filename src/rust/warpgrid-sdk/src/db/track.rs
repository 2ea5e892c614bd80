//! Reply accounting: whether a connection owes the guest a reply right now.
//!
//! `database-proxy.recv` blocks until bytes arrive, and there is no way to ask whether any
//! will. Drivers such as tokio-postgres' `Connection` poll for reads all the time, so a read
//! must block only when the server is known to answer: after a request whose reply has not
//! fully arrived. The tracker counts requests sent and replies received per protocol:
//! PostgreSQL owes one ReadyForQuery per StartupMessage, Query and Sync (and one byte per
//! SSLRequest/GSSENCRequest); Redis owes one reply per command (RESP3 pushes answer nothing).

use super::frames::{PgFramer, PgMessage, RespFramer};

const PROTOCOL_3_0: u32 = 196608;
const SSL_REQUEST: u32 = 80877103;
const GSSENC_REQUEST: u32 = 80877104;

/// How reads decide whether to block.
#[derive(Debug)]
pub enum Tracker {
    /// PostgreSQL frontend/backend framing.
    Postgres { sent: PgFramer, received: PgFramer, owed: usize, owed_bytes: usize },
    /// RESP commands and replies.
    Redis { sent: RespFramer, received: RespFramer, owed: usize },
    /// Every read blocks: for strictly request-then-read clients (no background reader).
    Blocking,
}

impl Tracker {
    pub fn postgres() -> Self {
        Tracker::Postgres { sent: PgFramer::frontend(), received: PgFramer::backend(), owed: 0, owed_bytes: 0 }
    }

    pub fn redis() -> Self {
        Tracker::Redis { sent: RespFramer::new(), received: RespFramer::new(), owed: 0 }
    }

    /// Whether the server has yet to answer something the guest sent.
    pub fn owes_reply(&self) -> bool {
        match self {
            Tracker::Postgres { owed, owed_bytes, .. } => *owed > 0 || *owed_bytes > 0,
            Tracker::Redis { owed, .. } => *owed > 0,
            Tracker::Blocking => true,
        }
    }

    /// Accounts for bytes the guest sent.
    pub fn sent(&mut self, data: &[u8]) {
        match self {
            Tracker::Postgres { sent, owed, owed_bytes, .. } => sent.feed(data, |framer, msg| match msg {
                PgMessage::Untyped(PROTOCOL_3_0) => {
                    framer.set_typed();
                    *owed += 1;
                }
                PgMessage::Untyped(SSL_REQUEST) | PgMessage::Untyped(GSSENC_REQUEST) => *owed_bytes += 1,
                PgMessage::Typed(b'Q') | PgMessage::Typed(b'S') => *owed += 1,
                _ => {}
            }),
            Tracker::Redis { sent, owed, .. } => sent.feed(data, |_| *owed += 1),
            Tracker::Blocking => {}
        }
    }

    /// Accounts for bytes the server sent to the guest.
    pub fn received(&mut self, mut data: &[u8]) {
        match self {
            Tracker::Postgres { received, owed, owed_bytes, .. } => {
                // The answer to SSLRequest/GSSENCRequest is one unframed byte ('S'/'N'/'G').
                while *owed_bytes > 0 && !data.is_empty() {
                    *owed_bytes -= 1;
                    data = &data[1..];
                }
                received.feed(data, |_, msg| {
                    if msg == PgMessage::Typed(b'Z') {
                        *owed = owed.saturating_sub(1);
                    }
                })
            }
            Tracker::Redis { received, owed, .. } => received.feed(data, |push| {
                if !push {
                    *owed = owed.saturating_sub(1);
                }
            }),
            Tracker::Blocking => {}
        }
    }

    /// The server closed the connection: nothing more will arrive.
    pub fn closed(&mut self) {
        match self {
            Tracker::Postgres { owed, owed_bytes, .. } => {
                *owed = 0;
                *owed_bytes = 0;
            }
            Tracker::Redis { owed, .. } => *owed = 0,
            Tracker::Blocking => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_owes_one_ready_per_query_and_sync() {
        let mut t = Tracker::postgres();
        assert!(!t.owes_reply());
        let mut startup = 8u32.to_be_bytes().to_vec();
        startup.extend_from_slice(&PROTOCOL_3_0.to_be_bytes());
        t.sent(&startup);
        assert!(t.owes_reply());
        t.received(b"R\0\0\0\x08\0\0\0\0");
        assert!(t.owes_reply(), "AuthenticationOk alone is not the end of startup");
        t.received(b"Z\0\0\0\x05I");
        assert!(!t.owes_reply());
        // Extended query: Parse, Bind, Execute, Sync -> one ReadyForQuery.
        t.sent(b"P\0\0\0\x04B\0\0\0\x04E\0\0\0\x04S\0\0\0\x04");
        assert!(t.owes_reply());
        t.received(b"1\0\0\0\x042\0\0\0\x04C\0\0\0\x04");
        assert!(t.owes_reply());
        t.received(b"Z\0\0\0\x05");
        assert!(t.owes_reply(), "the Z body byte has not arrived");
        t.received(b"I");
        assert!(!t.owes_reply());
    }

    #[test]
    fn postgres_ssl_request_owes_one_byte() {
        let mut t = Tracker::postgres();
        let mut req = 8u32.to_be_bytes().to_vec();
        req.extend_from_slice(&SSL_REQUEST.to_be_bytes());
        t.sent(&req);
        assert!(t.owes_reply());
        t.received(b"N");
        assert!(!t.owes_reply());
    }

    #[test]
    fn redis_owes_one_reply_per_command_and_ignores_pushes() {
        let mut t = Tracker::redis();
        t.sent(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        t.received(b"+PONG\r\n>2\r\n+x\r\n+y\r\n");
        assert!(t.owes_reply());
        t.received(b"$-1\r\n");
        assert!(!t.owes_reply());
    }
}
