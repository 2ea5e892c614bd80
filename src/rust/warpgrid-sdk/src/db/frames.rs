//! Incremental framers that count whole messages in a byte stream, for the reply accounting in
//! [`super::track`]. They never buffer message bodies: they only track where one message ends.

/// Consumes up to `*remaining` bytes from the front of `data` (a body both framers skip
/// unread); true when the last of them was consumed.
fn consume(remaining: &mut usize, data: &mut &[u8]) -> bool {
    let n = (*remaining).min(data.len());
    *remaining -= n;
    *data = &data[n..];
    *remaining == 0
}

/// PostgreSQL protocol 3.0 framing: `type byte + u32 length (counting itself) + body`.
/// The frontend's first message has no type byte (startup, SSLRequest, GSSENCRequest, cancel).
#[derive(Debug, Default)]
pub struct PgFramer {
    header: [u8; 8],
    have: usize,
    /// Body bytes still to skip in the current message.
    skip: usize,
    /// Whether messages in this direction start with a type byte (false while in startup).
    typed: bool,
}

/// What a completed PostgreSQL message was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgMessage {
    /// A typed message, by its type byte.
    Typed(u8),
    /// An untyped startup-phase message, by its 4-byte code (protocol version or request code).
    Untyped(u32),
}

impl PgFramer {
    /// A framer for the backend (server -> client) direction: every message is typed.
    pub fn backend() -> Self {
        PgFramer { typed: true, ..Default::default() }
    }

    /// A framer for the frontend (client -> server) direction: starts in the startup phase.
    pub fn frontend() -> Self {
        PgFramer::default()
    }

    /// Switches to typed messages (after the frontend's StartupMessage).
    pub fn set_typed(&mut self) {
        self.typed = true;
    }

    /// Feeds `data`; calls `done` for every message whose last byte is in `data`.
    pub fn feed(&mut self, mut data: &[u8], mut done: impl FnMut(&mut Self, PgMessage)) {
        while !data.is_empty() {
            if self.skip > 0 {
                if consume(&mut self.skip, &mut data) {
                    let msg = self.finished();
                    done(self, msg);
                }
                continue;
            }
            // Untyped messages: length(4) + code(4) before we know what it is.
            let need = if self.typed { 5 } else { 8 };
            let n = (need - self.have).min(data.len());
            self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            if self.have < need {
                continue;
            }
            let len_at = if self.typed { 1 } else { 0 };
            let len = u32::from_be_bytes(self.header[len_at..len_at + 4].try_into().unwrap()) as usize;
            // The length counts itself; an untyped message's code is already consumed.
            self.skip = len.saturating_sub(if self.typed { 4 } else { 8 });
            if self.skip == 0 {
                let msg = self.finished();
                done(self, msg);
            }
        }
    }

    fn finished(&mut self) -> PgMessage {
        self.have = 0;
        if self.typed {
            PgMessage::Typed(self.header[0])
        } else {
            // self.header holds 8 bytes here only for untyped messages: length + code.
            PgMessage::Untyped(u32::from_be_bytes(self.header[4..8].try_into().unwrap()))
        }
    }
}

/// RESP2/RESP3 framing: counts complete top-level values (commands or replies).
#[derive(Debug, Default)]
pub struct RespFramer {
    /// The current header line (up to its CRLF).
    line: Vec<u8>,
    /// Bytes of a bulk payload (plus its CRLF) still to skip.
    bulk: usize,
    /// Elements still expected by each open aggregate, innermost last.
    open: Vec<usize>,
    /// Whether the top-level value being read is a RESP3 push (`>`), which answers no request.
    top_is_push: bool,
}

impl RespFramer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `data`; calls `done(is_push)` for every complete top-level value.
    pub fn feed(&mut self, mut data: &[u8], mut done: impl FnMut(bool)) {
        while !data.is_empty() {
            if self.bulk > 0 {
                if consume(&mut self.bulk, &mut data) {
                    self.value_done(&mut done);
                }
                continue;
            }
            match data.iter().position(|&b| b == b'\n') {
                None => {
                    self.line.extend_from_slice(data);
                    return;
                }
                Some(i) => {
                    self.line.extend_from_slice(&data[..=i]);
                    data = &data[i + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.header(&line, &mut done);
                }
            }
        }
    }

    fn header(&mut self, line: &[u8], done: &mut impl FnMut(bool)) {
        let body = line.strip_suffix(b"\r\n").or_else(|| line.strip_suffix(b"\n")).unwrap_or(line);
        if self.open.is_empty() {
            self.top_is_push = body.first() == Some(&b'>');
        }
        let count = || -> i64 {
            std::str::from_utf8(&body[1..]).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(-1)
        };
        match body.first() {
            Some(b'$') | Some(b'!') | Some(b'=') => {
                let n = count();
                if n < 0 {
                    self.value_done(done);
                } else {
                    self.bulk = n as usize + 2;
                }
            }
            Some(b'*') | Some(b'>') | Some(b'~') | Some(b'%') | Some(b'|') => {
                let n = count();
                let elems = if matches!(body[0], b'%' | b'|') { n * 2 } else { n };
                if elems <= 0 {
                    self.value_done(done);
                } else {
                    self.open.push(elems as usize);
                }
            }
            // Simple values (+ - : _ , # ( and inline commands).
            _ => self.value_done(done),
        }
    }

    fn value_done(&mut self, done: &mut impl FnMut(bool)) {
        while let Some(top) = self.open.last_mut() {
            *top -= 1;
            if *top > 0 {
                return;
            }
            self.open.pop();
        }
        done(self.top_is_push);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn pg_backend_counts_messages_split_anywhere() {
        let mut stream = pg(b'T', b"rowdescription");
        stream.extend(pg(b'D', b"datarow"));
        stream.extend(pg(b'Z', b"I"));
        for split in 0..stream.len() {
            let mut f = PgFramer::backend();
            let mut seen = vec![];
            f.feed(&stream[..split], |_, m| seen.push(m));
            f.feed(&stream[split..], |_, m| seen.push(m));
            assert_eq!(
                seen,
                vec![PgMessage::Typed(b'T'), PgMessage::Typed(b'D'), PgMessage::Typed(b'Z')],
                "split at {split}"
            );
        }
    }

    #[test]
    fn pg_frontend_startup_then_typed() {
        let mut startup = (8u32 + 5).to_be_bytes().to_vec();
        startup.extend_from_slice(&196608u32.to_be_bytes());
        startup.extend_from_slice(b"user\0");
        let mut stream = startup.clone();
        stream.extend(pg(b'Q', b"select 1\0"));
        let mut f = PgFramer::frontend();
        let mut seen = vec![];
        f.feed(&stream, |f, m| {
            if m == PgMessage::Untyped(196608) {
                f.set_typed();
            }
            seen.push(m)
        });
        assert_eq!(seen, vec![PgMessage::Untyped(196608), PgMessage::Typed(b'Q')]);
    }

    #[test]
    fn resp_counts_nested_and_bulk_values_byte_by_byte() {
        let stream: &[u8] = b"*2\r\n$3\r\nGET\r\n$4\r\nk\r\nx\r\n+OK\r\n$-1\r\n*2\r\n*1\r\n:1\r\n$2\r\nab\r\n>2\r\n+a\r\n+b\r\n*0\r\n";
        let mut f = RespFramer::new();
        let mut seen = vec![];
        for b in stream {
            f.feed(std::slice::from_ref(b), |push| seen.push(push));
        }
        assert_eq!(seen, vec![false, false, false, false, true, false]);
    }
}
