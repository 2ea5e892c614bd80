//! The `warpgrid:shim/http-handler` export as a tower `Service`.
//!
//! The host hands each request over as a plain record (method, path-and-query, headers, whole
//! body) and wants a plain record back. [`serve`] converts the record into an
//! `http::Request`, drives the service on [`crate::rt`], collects the response body and
//! converts back; bodies beyond one record cross through [`crate::body`]. Use
//! [`crate::http_service!`] to export a service in one line.

use std::convert::Infallible;
use std::fmt::Display;
use std::future::poll_fn;

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tower_service::Service;

pub use crate::bindings::exports::warpgrid::shim::http_handler::{Request as WitRequest, Response as WitResponse};

/// The request type services receive.
pub type Request = http::Request<Full<Bytes>>;

/// Turns the host's request record into an `http::Request`.
pub fn to_http_request(req: WitRequest) -> Result<Request, String> {
    let mut builder = http::Request::builder().method(req.method.as_str()).uri(req.uri.as_str());
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Full::new(Bytes::from(req.body))).map_err(|e| format!("malformed request: {e}"))
}

/// Turns a response head and collected body into the host's response record.
pub fn to_wit_response(parts: http::response::Parts, body: Bytes) -> WitResponse {
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    WitResponse { status: parts.status.as_u16(), headers, body: body.to_vec() }
}

/// A plain-text response for failures the service itself never saw.
pub fn error_response(status: u16, text: &str) -> WitResponse {
    WitResponse {
        status,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: text.as_bytes().to_vec(),
    }
}

/// Calls `service` with `request` and collects the whole response.
pub async fn call<S, B>(mut service: S, request: Request) -> Result<(http::response::Parts, Bytes), String>
where
    S: Service<Request, Response = http::Response<B>>,
    S::Error: Display,
    B: Body,
    B::Error: Display,
{
    poll_fn(|cx| service.poll_ready(cx)).await.map_err(|e| format!("service not ready: {e}"))?;
    let response = service.call(request).await.map_err(|e| format!("service failed: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| format!("response body failed: {e}"))?.to_bytes();
    Ok((parts, body))
}

/// Serves one host request with `service` (an axum `Router` or any tower `Service`).
///
/// Spawned tasks (database drivers) are drained afterwards, so connections opened for this
/// request are closed and returned to the host's pools before the response leaves.
pub fn serve<S, B>(service: S, request: WitRequest) -> WitResponse
where
    S: Service<Request, Response = http::Response<B>>,
    S::Error: Display,
    B: Body,
    B::Error: Display,
{
    let mut request = request;
    request.body = crate::body::whole_request_body(std::mem::take(&mut request.body));
    let mut response = match to_http_request(request) {
        Ok(req) => match crate::rt::block_on(call(service, req)) {
            Ok((parts, body)) => to_wit_response(parts, body),
            Err(e) => error_response(500, &e),
        },
        Err(e) => error_response(400, &e),
    };
    crate::rt::drain();
    response.body = crate::body::send_response_body(std::mem::take(&mut response.body));
    response
}

/// A service from an async function, for programs that need no router.
#[derive(Clone)]
pub struct ServiceFn<F>(pub F);

impl<F, Fut, B> Service<Request> for ServiceFn<F>
where
    F: FnMut(Request) -> Fut,
    Fut: std::future::Future<Output = http::Response<B>> + 'static,
{
    type Response = http::Response<B>;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<http::Response<B>, Infallible>>>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let fut = (self.0)(req);
        Box::pin(async move { Ok(fut.await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wit_request(method: &str, uri: &str, body: &[u8]) -> WitRequest {
        WitRequest {
            method: method.into(),
            uri: uri.into(),
            headers: vec![("content-type".into(), "application/json".into()), ("x-a".into(), "1".into())],
            body: body.to_vec(),
        }
    }

    #[test]
    fn request_record_becomes_http_request() {
        let req = to_http_request(wit_request("POST", "/users/7?full=1", b"{}")).unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.uri().path(), "/users/7");
        assert_eq!(req.uri().query(), Some("full=1"));
        assert_eq!(req.headers()["x-a"], "1");
    }

    #[test]
    fn malformed_method_is_rejected() {
        assert!(to_http_request(wit_request("BAD METHOD", "/", b"")).is_err());
    }

    #[test]
    fn serve_runs_a_service_and_collects_the_body() {
        let svc = ServiceFn(|req: Request| async move {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            http::Response::builder()
                .status(201)
                .header("x-len", body.len().to_string())
                .body(Full::new(Bytes::from(format!("got {}", String::from_utf8_lossy(&body)))))
                .unwrap()
        });
        let resp = serve(svc, wit_request("PUT", "/x", b"abc"));
        assert_eq!(resp.status, 201);
        assert_eq!(resp.body, b"got abc");
        assert!(resp.headers.contains(&("x-len".to_string(), "3".to_string())));
    }

    #[test]
    fn bad_request_gets_400_without_calling_the_service() {
        let svc = ServiceFn(|_req: Request| async move {
            unreachable!("the service must not be called");
            #[allow(unreachable_code)]
            http::Response::new(Full::new(Bytes::new()))
        });
        let resp = serve(svc, wit_request("GET", "http://[::1", b""));
        assert_eq!(resp.status, 400);
    }
}
