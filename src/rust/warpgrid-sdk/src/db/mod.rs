//! Database connections through `warpgrid:shim/database-proxy`.
//!
//! Guests have no sockets: the host holds the pooled TCP connection (and the credentials) and
//! the guest speaks the plain wire protocol over `send`/`recv`. [`DbStream`] wraps one proxied
//! connection as an async byte stream (tokio's `AsyncRead`/`AsyncWrite`, and futures-io's with
//! the `futures-io` feature), so existing drivers run on it unchanged:
//!
//! ```ignore
//! let stream = warpgrid_sdk::db::connect_postgres("db.production.warp.local", 5432, Some("app"))?;
//! let (client, conn) = tokio_postgres::Config::new().user("app").dbname("app")
//!     .connect_raw(stream, tokio_postgres::NoTls).await?;
//! warpgrid_sdk::rt::spawn(async move { let _ = conn.await; });
//! ```

mod frames;
mod stream;
mod track;

use std::io;
use std::net::IpAddr;

use crate::bindings::warpgrid::shim::database_proxy as wit;

pub use stream::DbStream;
pub use track::Tracker;

/// The wire protocol a connection speaks (the host's pools and session resets depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Postgres,
    Mysql,
    Redis,
}

/// A byte transport under a [`DbStream`]: the host's proxy, or a test double.
pub trait Transport {
    /// Sends bytes; returns how many were accepted.
    fn send(&mut self, data: &[u8]) -> io::Result<usize>;
    /// Blocks until at least one byte is available; an empty vector means end of stream.
    fn recv(&mut self, max_bytes: usize) -> io::Result<Vec<u8>>;
}

/// Maps the proxy's errors onto the io::ErrorKind a driver understands.
fn io_error(e: wit::DbError) -> io::Error {
    let (kind, what) = match e {
        wit::DbError::ConnectionRefused => (io::ErrorKind::ConnectionRefused, "connection refused by the database proxy"),
        wit::DbError::Timeout => (io::ErrorKind::TimedOut, "database proxy timed out"),
        wit::DbError::ProtocolError => (io::ErrorKind::InvalidData, "database proxy rejected the protocol exchange"),
        wit::DbError::PoolExhausted => (io::ErrorKind::WouldBlock, "database connection pool exhausted"),
        wit::DbError::Closed => (io::ErrorKind::ConnectionAborted, "database connection closed"),
    };
    io::Error::new(kind, what)
}

/// One connection handle from the host's pool; returned to the pool on drop.
#[derive(Debug)]
pub struct ProxyConnection {
    handle: wit::Connection,
}

impl ProxyConnection {
    /// Checks out a connection to an endpoint that the host's warp.toml allows. `host` is a
    /// name or an address text (the host matches an address against its endpoints' names).
    pub fn open(protocol: Protocol, host: &str, port: u16, database: Option<&str>) -> io::Result<Self> {
        let config = wit::DbConfig {
            protocol: match protocol {
                Protocol::Postgres => wit::Protocol::Postgres,
                Protocol::Mysql => wit::Protocol::Mysql,
                Protocol::Redis => wit::Protocol::Redis,
            },
            host: host.to_string(),
            port,
            database: database.map(str::to_string),
            pool_size: 0,
        };
        wit::connect(&config).map(|handle| ProxyConnection { handle }).map_err(io_error)
    }
}

impl Transport for ProxyConnection {
    fn send(&mut self, data: &[u8]) -> io::Result<usize> {
        wit::send(self.handle, data).map(|n| n as usize).map_err(io_error)
    }

    fn recv(&mut self, max_bytes: usize) -> io::Result<Vec<u8>> {
        match wit::recv(self.handle, max_bytes.min(u32::MAX as usize) as u32) {
            Ok(bytes) => Ok(bytes),
            Err(wit::DbError::Closed) => Ok(Vec::new()),
            Err(e) => Err(io_error(e)),
        }
    }
}

impl Drop for ProxyConnection {
    fn drop(&mut self) {
        wit::close(self.handle);
    }
}

/// Resolves `host` through the DNS shim when it is a name, and returns the address text the
/// proxy is given (so the guest reaches `db.production.warp.local` like any program would).
fn address_of(host: &str) -> io::Result<String> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(host.to_string());
    }
    crate::dns::resolve_one(host)
        .map(|ip| ip.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::NotFound, format!("cannot resolve {host}: {e}")))
}

/// Opens a proxied connection to `host:port` and wraps it with the reply tracker of `protocol`
/// (MySQL gets the blocking tracker: drive it with a sequential client).
pub fn connect(protocol: Protocol, host: &str, port: u16, database: Option<&str>) -> io::Result<DbStream> {
    let addr = address_of(host)?;
    let conn = ProxyConnection::open(protocol, &addr, port, database)?;
    let tracker = match protocol {
        Protocol::Postgres => Tracker::postgres(),
        Protocol::Redis => Tracker::redis(),
        Protocol::Mysql => Tracker::Blocking,
    };
    Ok(DbStream::new(conn, tracker))
}

/// A PostgreSQL connection for `tokio_postgres::Config::connect_raw`.
pub fn connect_postgres(host: &str, port: u16, database: Option<&str>) -> io::Result<DbStream> {
    connect(Protocol::Postgres, host, port, database)
}

/// A Redis connection for `redis::aio::MultiplexedConnection::new`. `db` is the logical
/// database the endpoint names (the host's endpoints default to "0").
pub fn connect_redis(host: &str, port: u16, db: Option<&str>) -> io::Result<DbStream> {
    connect(Protocol::Redis, host, port, db)
}
