//! T1: an axum HTTP service backed by PostgreSQL, run by the WarpGrid host.
//!
//! The database is reached by name (`db.production.warp.local` by default): the name goes
//! through the DNS shim, and the connection through the database-proxy shim; the host holds
//! the credentials. Settings come from the host's `[env]` (PG_HOST, PG_PORT, PG_DATABASE,
//! PG_USER). The `users` table is created by `POST /setup` (idempotent).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, Config, NoTls};

/// An error rendered as a JSON body with its HTTP status.
struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<tokio_postgres::Error> for AppError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            // A constraint the request broke (e.g. a duplicate email) is the client's conflict.
            Some(db) if db.code().code().starts_with("23") => AppError(StatusCode::CONFLICT, db.message().to_string()),
            Some(db) => AppError(StatusCode::BAD_GATEWAY, format!("postgres: {}: {}", db.code().code(), db.message())),
            None => AppError(StatusCode::BAD_GATEWAY, format!("postgres: {e}")),
        }
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

/// Opens a PostgreSQL session through the proxy and starts its driver task.
async fn connect() -> Result<Client, AppError> {
    let host = setting("PG_HOST", "db.production.warp.local");
    let port: u16 = setting("PG_PORT", "5432").parse().map_err(|_| AppError(StatusCode::INTERNAL_SERVER_ERROR, "PG_PORT is not a port".into()))?;
    let dbname = setting("PG_DATABASE", "postgres");
    let user = setting("PG_USER", "app");
    let stream = warpgrid_sdk::db::connect_postgres(&host, port, Some(&dbname))?;
    let (client, connection) = Config::new()
        .user(&user)
        .dbname(&dbname)
        .ssl_mode(tokio_postgres::config::SslMode::Disable)
        .connect_raw(stream, NoTls)
        .await?;
    warpgrid_sdk::rt::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

#[derive(Serialize)]
struct User {
    id: i32,
    name: String,
    email: String,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    email: String,
}

fn user_from(row: &tokio_postgres::Row) -> User {
    User { id: row.get(0), name: row.get(1), email: row.get(2) }
}

async fn health() -> &'static str {
    "ok"
}

async fn setup() -> Result<StatusCode, AppError> {
    connect()
        .await?
        .batch_execute("CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE)")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users() -> Result<Json<Vec<User>>, AppError> {
    let rows = connect().await?.query("SELECT id, name, email FROM users ORDER BY id", &[]).await?;
    Ok(Json(rows.iter().map(user_from).collect()))
}

async fn get_user(Path(id): Path<i32>) -> Result<Json<User>, AppError> {
    let row = connect().await?.query_opt("SELECT id, name, email FROM users WHERE id = $1", &[&id]).await?;
    row.map(|r| Json(user_from(&r))).ok_or_else(|| AppError(StatusCode::NOT_FOUND, format!("no user {id}")))
}

async fn create_user(Json(new): Json<NewUser>) -> Result<(StatusCode, Json<User>), AppError> {
    let row = connect()
        .await?
        .query_one("INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id, name, email", &[&new.name, &new.email])
        .await?;
    Ok((StatusCode::CREATED, Json(user_from(&row))))
}

/// Where the service's name resolves to, through the DNS shim.
async fn resolve() -> Result<Json<Vec<String>>, AppError> {
    let host = setting("PG_HOST", "db.production.warp.local");
    let addrs = warpgrid_sdk::dns::resolve(&host).map_err(|e| AppError(StatusCode::BAD_GATEWAY, format!("{host}: {e}")))?;
    Ok(Json(addrs.iter().map(|a| a.to_string()).collect()))
}

/// `POST /echo`: the request body, unchanged. The host enforces [http] max_body_bytes, so axum's
/// own 2 MB default limit is lifted for this route (bodies above 1 MiB cross in pieces).
async fn echo(body: Bytes) -> Bytes {
    body
}

fn app() -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/setup", post(setup))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user))
        .route("/resolve", get(resolve))
        .route("/echo", post(echo).layer(DefaultBodyLimit::disable()))
}

warpgrid_sdk::http_service!(app());
