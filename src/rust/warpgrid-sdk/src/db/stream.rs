//! [`DbStream`]: an async byte stream over a blocking [`Transport`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{ProxyConnection, Tracker, Transport};

/// The most a single `recv` asks the host for.
const RECV_CHUNK: usize = 64 * 1024;

/// A proxied database connection as an async stream.
///
/// Writes go straight to the host. A read blocks in the host only while the [`Tracker`] says
/// the server owes a reply; otherwise it returns `Pending` and the next write wakes it, so a
/// driver that always polls for reads (tokio-postgres, redis) cannot block the guest forever.
#[derive(Debug)]
pub struct DbStream<T: Transport = ProxyConnection> {
    transport: T,
    tracker: Tracker,
    /// Received bytes not yet handed to the reader.
    pending: Vec<u8>,
    consumed: usize,
    read_waker: Option<Waker>,
    eof: bool,
}

impl<T: Transport> DbStream<T> {
    pub fn new(transport: T, tracker: Tracker) -> Self {
        DbStream { transport, tracker, pending: Vec::new(), consumed: 0, read_waker: None, eof: false }
    }

    /// The transport (for tests and diagnostics).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Copies buffered bytes into `out`; returns how many.
    fn take_pending(&mut self, out: &mut [u8]) -> usize {
        let n = (self.pending.len() - self.consumed).min(out.len());
        out[..n].copy_from_slice(&self.pending[self.consumed..self.consumed + n]);
        self.consumed += n;
        if self.consumed == self.pending.len() {
            self.pending.clear();
            self.consumed = 0;
        }
        n
    }

    /// The core read: `Ready(Ok(0))` at end of stream, `Pending` while no reply is owed.
    pub fn poll_read_bytes(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.consumed < self.pending.len() {
            return Poll::Ready(Ok(self.take_pending(out)));
        }
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if !self.tracker.owes_reply() {
            self.read_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let data = self.transport.recv(RECV_CHUNK)?;
        if data.is_empty() {
            self.eof = true;
            self.tracker.closed();
            return Poll::Ready(Ok(0));
        }
        self.tracker.received(&data);
        self.pending = data;
        self.consumed = 0;
        Poll::Ready(Ok(self.take_pending(out)))
    }

    /// The core write: sends to the host and wakes a parked reader (a reply is now owed).
    pub fn write_bytes(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.transport.send(data)?;
        self.tracker.sent(&data[..n]);
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
        Ok(n)
    }
}

impl<T: Transport + Unpin> tokio::io::AsyncRead for DbStream<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let out = buf.initialize_unfilled();
        match this.poll_read_bytes(cx, out) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The write half of both async I/O traits (tokio's and futures-io's differ only in the name
/// of the close method): writes go straight to the host, so flush and close have nothing to do.
macro_rules! impl_async_write {
    ($write:path, $close:ident) => {
        impl<T: Transport + Unpin> $write for DbStream<T> {
            fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                Poll::Ready(self.get_mut().write_bytes(buf))
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn $close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    };
}

impl_async_write!(tokio::io::AsyncWrite, poll_shutdown);
#[cfg(feature = "futures-io")]
impl_async_write!(futures_io::AsyncWrite, poll_close);

#[cfg(feature = "futures-io")]
impl<T: Transport + Unpin> futures_io::AsyncRead for DbStream<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_bytes(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A scripted server: each request (a complete command) queues its canned reply, delivered
    /// in chunks of `chunk` bytes. A recv with nothing queued is the deadlock the tracker must
    /// prevent, so it fails the test.
    struct Scripted {
        replies: VecDeque<&'static [u8]>,
        outbox: VecDeque<u8>,
        sent: Vec<u8>,
        chunk: usize,
    }

    impl Transport for Scripted {
        fn send(&mut self, data: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(data);
            if let Some(r) = self.replies.pop_front() {
                self.outbox.extend(r.iter().copied());
            }
            Ok(data.len())
        }
        fn recv(&mut self, max: usize) -> io::Result<Vec<u8>> {
            assert!(!self.outbox.is_empty(), "recv would block forever: nothing is owed");
            let n = max.min(self.chunk).min(self.outbox.len());
            Ok(self.outbox.drain(..n).collect())
        }
    }

    fn redis_stream(replies: &[&'static [u8]], chunk: usize) -> DbStream<Scripted> {
        let t = Scripted { replies: replies.iter().copied().collect(), outbox: VecDeque::new(), sent: vec![], chunk };
        DbStream::new(t, Tracker::redis())
    }

    #[tokio::test]
    async fn read_after_write_returns_the_reply_in_chunks() {
        let mut s = redis_stream(&[b"$5\r\nhello\r\n"], 3);
        s.write_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").await.unwrap();
        let mut got = vec![0u8; 11];
        s.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"$5\r\nhello\r\n");
        assert_eq!(s.transport().sent, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }

    #[test]
    fn read_with_nothing_owed_is_pending_until_a_write() {
        let mut s = redis_stream(&[b"+PONG\r\n"], 64);
        let flag = std::sync::Arc::new(WakeCount::default());
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut buf = [0u8; 16];
        assert!(s.poll_read_bytes(&mut cx, &mut buf).is_pending());
        s.write_bytes(b"*1\r\n$4\r\nPING\r\n").unwrap();
        assert_eq!(flag.0.load(std::sync::atomic::Ordering::SeqCst), 1, "the write wakes the reader");
        match s.poll_read_bytes(&mut cx, &mut buf) {
            Poll::Ready(Ok(n)) => assert_eq!(&buf[..n], b"+PONG\r\n"),
            other => panic!("expected the reply, got {other:?}"),
        }
        assert!(s.poll_read_bytes(&mut cx, &mut buf).is_pending(), "the reply is complete");
    }

    #[derive(Default)]
    struct WakeCount(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for WakeCount {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn end_of_stream_reads_zero() {
        struct Closed;
        impl Transport for Closed {
            fn send(&mut self, d: &[u8]) -> io::Result<usize> {
                Ok(d.len())
            }
            fn recv(&mut self, _: usize) -> io::Result<Vec<u8>> {
                Ok(vec![])
            }
        }
        let mut s = DbStream::new(Closed, Tracker::Blocking);
        let waker = Waker::from(std::sync::Arc::new(WakeCount::default()));
        let mut buf = [0u8; 4];
        assert!(matches!(s.poll_read_bytes(&mut Context::from_waker(&waker), &mut buf), Poll::Ready(Ok(0))));
    }
}
