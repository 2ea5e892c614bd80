//! A WASI 0.3-style (async-lifted) HTTP guest for the async host: `handle` is an `async fn`
//! exported with wit-bindgen's async support; its database work goes through the
//! warpgrid:shim/database-proxy imports. Routes: `GET /sleep/<ms>` runs
//! `SELECT pg_sleep(<ms>/1000.0)`; `POST /sql` runs the body. The endpoint comes from the
//! request headers `x-db-host`, `x-db-port`, `x-db-name` (this world has no wasi:cli).

wit_bindgen::generate!({ path: "wit", world: "p3-http-service" });

use exports::warpgrid::shim::http_handler::{Guest, Request, Response};
use warpgrid::shim::database_proxy::{self as db, DbConfig, Protocol};

struct Service;

fn response(status: u16, body: Vec<u8>) -> Response {
    Response { status, headers: vec![("content-type".into(), "text/plain".into())], body }
}

fn message(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&((payload.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// One simple-query conversation; returns the first column of each DataRow, one per line.
fn query(host: &str, port: u16, database: &str, sql: &str) -> Result<Vec<u8>, String> {
    let config = DbConfig { protocol: Protocol::Postgres, host: host.into(), port, database: Some(database.into()), pool_size: 4 };
    let conn = db::connect(&config).map_err(|e| format!("connect error {e:?}"))?;
    let mut startup = Vec::new();
    startup.extend_from_slice(&196608u32.to_be_bytes());
    for part in ["user", "guest", "database", database] {
        startup.extend_from_slice(part.as_bytes());
        startup.push(0);
    }
    startup.push(0);
    let mut first = ((startup.len() + 4) as u32).to_be_bytes().to_vec();
    first.extend_from_slice(&startup);
    let mut input = Vec::new();
    let mut rows = Vec::new();
    for (i, out) in [first, message(b'Q', format!("{sql}\0").as_bytes())].into_iter().enumerate() {
        db::send(conn, &out).map_err(|e| format!("send error {e:?}"))?;
        loop {
            while input.len() < 5 || input.len() < 1 + u32::from_be_bytes(input[1..5].try_into().unwrap()) as usize {
                input.extend(db::recv(conn, 65536).map_err(|e| format!("recv error {e:?}"))?);
            }
            let len = 1 + u32::from_be_bytes(input[1..5].try_into().unwrap()) as usize;
            let msg: Vec<u8> = input.drain(..len).collect();
            match msg[0] {
                b'D' if i == 1 => {
                    let clen = i32::from_be_bytes(msg[7..11].try_into().unwrap()).max(0) as usize;
                    rows.extend_from_slice(&msg[11..11 + clen]);
                    rows.push(b'\n');
                }
                b'E' => return Err(String::from_utf8_lossy(&msg[5..]).replace('\0', " ")),
                b'Z' => break,
                _ => {}
            }
        }
    }
    db::send(conn, &message(b'X', b"")).ok();
    db::close(conn);
    Ok(rows)
}

impl Guest for Service {
    async fn handle(request: Request) -> Response {
        let header = |name: &str| request.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let (Some(host), Some(port), Some(name)) = (header("x-db-host"), header("x-db-port"), header("x-db-name")) else {
            return response(400, b"x-db-host, x-db-port and x-db-name are required".to_vec());
        };
        let port: u16 = port.parse().unwrap_or(0);
        let (sql, reply) = if let Some(ms) = request.uri.strip_prefix("/sleep/") {
            let ms: u32 = ms.parse().unwrap_or(0);
            (format!("SELECT pg_sleep({ms} / 1000.0)"), Some(format!("slept {ms}")))
        } else if request.uri == "/sql" {
            (String::from_utf8_lossy(&request.body).into_owned(), None)
        } else {
            return response(404, b"not found".to_vec());
        };
        match query(&host, port, &name, &sql) {
            Ok(rows) => response(200, reply.map(String::into_bytes).unwrap_or(rows)),
            Err(e) => response(502, e.into_bytes()),
        }
    }
}

export!(Service);
