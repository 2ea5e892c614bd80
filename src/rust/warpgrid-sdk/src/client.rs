//! Calls to other services of the deployment through `warpgrid:shim/http-client`.
//!
//! A service reaches another by its registry name, `http://<name>.<namespace>.warp.local/...`,
//! with ordinary [`http::Request`] / [`http::Response`] values:
//!
//! ```ignore
//! let users = warpgrid_sdk::client::get("http://users.t6.warp.local/users/count")?;
//! let created = warpgrid_sdk::client::send(
//!     http::Request::post("http://users.t6.warp.local/users")
//!         .header("content-type", "application/json")
//!         .body(br#"{"name":"ada"}"#.to_vec())?,
//! )?;
//! ```
//!
//! The host routes the call to a fresh instance of that service (round robin over its
//! replicas). The callee's own status comes back as the response, including 500 when it
//! trapped and 504 when it ran past its deadline. An [`Error`] means the call could not be
//! made: the name is not a service of the deployment, or this service's `[http_client] allow`
//! does not list it, or the URL is not `http://<name>...`.

use std::fmt;

use crate::bindings::warpgrid::shim::http_client as wit;

/// Why a call could not be made; `code` is the host's first word (`invalid-url`, `not-found`,
/// `not-allowed`, `loop`, `unavailable`), `message` its whole explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: String,
    pub message: String,
}

impl Error {
    fn from_host(message: String) -> Self {
        let code = message.split(':').next().unwrap_or("").trim().to_string();
        Error { code, message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http-client: {}", self.message)
    }
}

impl std::error::Error for Error {}

/// Sends `request` (its URI must be absolute) and returns the called service's response.
pub fn send(request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
    let (parts, body) = request.into_parts();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let outgoing = wit::OutgoingRequest { method: parts.method.as_str().to_string(), url: parts.uri.to_string(), headers, body };
    let incoming = wit::send(&outgoing).map_err(Error::from_host)?;
    let mut response = http::Response::builder().status(incoming.status);
    for (name, value) in &incoming.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response.body(incoming.body).map_err(|e| Error { code: "invalid-response".into(), message: format!("invalid-response: {e}") })
}

/// `GET url`.
pub fn get(url: &str) -> Result<http::Response<Vec<u8>>, Error> {
    send(request("GET", url, None, Vec::new())?)
}

/// `POST url` with a JSON body.
pub fn post_json(url: &str, body: Vec<u8>) -> Result<http::Response<Vec<u8>>, Error> {
    send(request("POST", url, Some("application/json"), body)?)
}

fn request(method: &str, url: &str, content_type: Option<&str>, body: Vec<u8>) -> Result<http::Request<Vec<u8>>, Error> {
    let mut builder = http::Request::builder().method(method).uri(url);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(body).map_err(|e| Error { code: "invalid-url".into(), message: format!("invalid-url: {url:?}: {e}") })
}
