//! T6 API gateway (Rust, axum): one entry point in front of three services of the deployment,
//! each reached by its DNS-shim name through the SDK's http client (`warpgrid_sdk::client`).
//!
//! * `POST /signup {"name","email"}`: creates the user in the user service (Go, Postgres),
//!   queues a welcome notification in Redis (database proxy), has the notification service
//!   (TypeScript) acknowledge it, posts a `user_created` event to the analytics service (Bun,
//!   Postgres), and answers 201 with what each of the three returned.
//! * `GET /summary`: the user count, the notification queue and the analytics totals, one call
//!   to each service.
//! * `ANY /api/{service}/{*rest}`: routing by name: forwards the request to
//!   `http://{service}.{namespace}.warp.local/{rest}` and answers what that service answered
//!   (its 500 when it trapped, 504 when it ran out of time). The host refuses names outside
//!   this service's `[http_client] allow` (502 here, naming the reason).
//! * `GET /health`: "ok", no call.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use serde_json::{json, Value};
use warpgrid_sdk::client;

const QUEUE: &str = "t6:notifications";

/// An error rendered as a JSON body with its HTTP status.
struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<client::Error> for AppError {
    fn from(e: client::Error) -> Self {
        AppError(StatusCode::BAD_GATEWAY, e.to_string())
    }
}

impl From<redis::RedisError> for AppError {
    fn from(e: redis::RedisError) -> Self {
        AppError(StatusCode::BAD_GATEWAY, format!("redis: {e}"))
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError(StatusCode::BAD_GATEWAY, format!("database connection: {e}"))
    }
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// `http://<service>.<namespace>.warp.local<path>`.
fn service_url(service: &str, path: &str) -> String {
    format!("http://{service}.{}.warp.local{path}", setting("T6_NAMESPACE", "t6"))
}

/// The JSON body of a successful answer, or a 502 naming the service and what it said.
fn json_of(service: &str, response: axum::http::Response<Vec<u8>>) -> Result<Value, AppError> {
    let status = response.status();
    let body = response.into_body();
    if !status.is_success() {
        return Err(AppError(
            StatusCode::BAD_GATEWAY,
            format!("{service} answered {}: {}", status.as_u16(), String::from_utf8_lossy(&body).trim()),
        ));
    }
    serde_json::from_slice(&body).map_err(|e| AppError(StatusCode::BAD_GATEWAY, format!("{service}: invalid JSON: {e}")))
}

/// A Redis connection through the proxy, with its driver task started (timeouts off: the
/// guest has no timer; the host bounds each request).
async fn redis_conn() -> Result<MultiplexedConnection, AppError> {
    let host = setting("REDIS_HOST", "127.0.0.1");
    let port = setting("REDIS_PORT", "6379")
        .parse()
        .map_err(|_| AppError(StatusCode::INTERNAL_SERVER_ERROR, "REDIS_PORT is not a port".into()))?;
    let stream = warpgrid_sdk::db::connect_redis(&host, port, None)?;
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None).set_connection_timeout(None);
    let (conn, driver) =
        MultiplexedConnection::new_with_config(&redis::RedisConnectionInfo::default(), stream, config).await?;
    warpgrid_sdk::rt::spawn(driver);
    Ok(conn)
}

async fn health() -> &'static str {
    "ok"
}

async fn signup(Json(new_user): Json<Value>) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = json_of("users", client::post_json(&service_url("users", "/users"), new_user.to_string().into_bytes())?)?;
    let id = user["id"].as_i64().ok_or_else(|| AppError(StatusCode::BAD_GATEWAY, format!("users: no id in {user}")))?;
    let notification = json!({ "user_id": id, "kind": "welcome" }).to_string();
    let queued: i64 = redis_conn().await?.rpush(QUEUE, notification).await?;
    let ack = json_of("notifications", client::post_json(&service_url("notifications", "/process"), Vec::new())?)?;
    let event = json!({ "type": "user_created", "user_id": id }).to_string().into_bytes();
    let analytics = json_of("analytics", client::post_json(&service_url("analytics", "/events"), event)?)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "queued": queued, "notification": ack, "analytics": analytics })),
    ))
}

async fn summary() -> Result<Json<Value>, AppError> {
    let users = json_of("users", client::get(&service_url("users", "/users/count"))?)?;
    let notifications = json_of("notifications", client::get(&service_url("notifications", "/stats"))?)?;
    let analytics = json_of("analytics", client::get(&service_url("analytics", "/events/stats"))?)?;
    Ok(Json(json!({ "users": users, "notifications": notifications, "analytics": analytics })))
}

/// Routing by DNS-shim name: the service's answer, status and all.
async fn route(
    Path((service, rest)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut target = service_url(&service, &format!("/{rest}"));
    if let Some(query) = uri.query() {
        target = format!("{target}?{query}");
    }
    let mut request = axum::http::Request::builder().method(method).uri(target);
    if let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE) {
        request = request.header(axum::http::header::CONTENT_TYPE, ct);
    }
    let request = request.body(body.to_vec()).map_err(|e| AppError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let answer = client::send(request)?;
    let (parts, body) = answer.into_parts();
    let mut response = (parts.status, body).into_response();
    if let Some(ct) = parts.headers.get(axum::http::header::CONTENT_TYPE) {
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct.clone());
    }
    Ok(response)
}

fn app() -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/signup", post(signup))
        .route("/summary", get(summary))
        .route("/api/{service}/{*rest}", any(route))
}

warpgrid_sdk::http_service!(app());
