//! T2: cache-aside in front of PostgreSQL, run by the WarpGrid host.
//!
//! `GET /products/{id}` reads Redis first; on a miss it reads PostgreSQL, fills Redis (with a
//! TTL) and answers. The `x-cache` header says which path served the request. Both
//! connections go through the database-proxy shim in the same instance: the host holds both
//! credentials (Redis AUTH included). Settings come from the host's `[env]`.


use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, Config, NoTls};

const CACHE_TTL_SECONDS: u64 = 60;

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
            Some(db) if db.code().code().starts_with("23") => AppError(StatusCode::CONFLICT, db.message().to_string()),
            Some(db) => AppError(StatusCode::BAD_GATEWAY, format!("postgres: {}: {}", db.code().code(), db.message())),
            None => AppError(StatusCode::BAD_GATEWAY, format!("postgres: {e}")),
        }
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

fn port_setting(name: &str, default: &str) -> Result<u16, AppError> {
    setting(name, default).parse().map_err(|_| AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("{name} is not a port")))
}

/// A PostgreSQL session through the proxy, with its driver task started.
async fn postgres() -> Result<Client, AppError> {
    let host = setting("PG_HOST", "db.production.warp.local");
    let dbname = setting("PG_DATABASE", "postgres");
    let stream = warpgrid_sdk::db::connect_postgres(&host, port_setting("PG_PORT", "5432")?, Some(&dbname))?;
    let (client, connection) = Config::new()
        .user(&setting("PG_USER", "app"))
        .dbname(&dbname)
        .ssl_mode(tokio_postgres::config::SslMode::Disable)
        .connect_raw(stream, NoTls)
        .await?;
    warpgrid_sdk::rt::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// A Redis connection through the proxy, with its driver task started. Timeouts are off:
/// the guest has no timer, and the host bounds each request anyway.
async fn redis_conn() -> Result<MultiplexedConnection, AppError> {
    let host = setting("REDIS_HOST", "cache.production.warp.local");
    let stream = warpgrid_sdk::db::connect_redis(&host, port_setting("REDIS_PORT", "6379")?, None)?;
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None).set_connection_timeout(None);
    let (conn, driver) =
        MultiplexedConnection::new_with_config(&redis::RedisConnectionInfo::default(), stream, config).await?;
    warpgrid_sdk::rt::spawn(driver);
    Ok(conn)
}

#[derive(Serialize, Deserialize)]
struct Product {
    id: i32,
    name: String,
    price_cents: i64,
}

#[derive(Deserialize)]
struct NewProduct {
    name: String,
    price_cents: i64,
}

fn cache_key(id: i32) -> String {
    format!("product:{id}")
}

fn with_cache_header(body: String, source: &'static str) -> Response {
    let mut response = ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
    response.headers_mut().insert("x-cache", HeaderValue::from_static(source));
    response
}

async fn health() -> &'static str {
    "ok"
}

async fn setup() -> Result<StatusCode, AppError> {
    postgres()
        .await?
        .batch_execute("CREATE TABLE IF NOT EXISTS products (id serial PRIMARY KEY, name text NOT NULL, price_cents bigint NOT NULL)")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_product(Json(new): Json<NewProduct>) -> Result<(StatusCode, Json<Product>), AppError> {
    let row = postgres()
        .await?
        .query_one("INSERT INTO products (name, price_cents) VALUES ($1, $2) RETURNING id, name, price_cents", &[&new.name, &new.price_cents])
        .await?;
    Ok((StatusCode::CREATED, Json(Product { id: row.get(0), name: row.get(1), price_cents: row.get(2) })))
}

/// Cache-aside read: Redis, else PostgreSQL and fill Redis.
async fn get_product(Path(id): Path<i32>) -> Result<Response, AppError> {
    let mut cache = redis_conn().await?;
    if let Some(hit) = cache.get::<_, Option<String>>(cache_key(id)).await? {
        return Ok(with_cache_header(hit, "hit"));
    }
    let row = postgres().await?.query_opt("SELECT id, name, price_cents FROM products WHERE id = $1", &[&id]).await?;
    let Some(row) = row else {
        return Err(AppError(StatusCode::NOT_FOUND, format!("no product {id}")));
    };
    let product = Product { id: row.get(0), name: row.get(1), price_cents: row.get(2) };
    let body = serde_json::to_string(&product).map_err(|e| AppError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let () = cache.set_ex(cache_key(id), &body, CACHE_TTL_SECONDS).await?;
    Ok(with_cache_header(body, "miss"))
}

/// Drops a cached entry (after a write elsewhere).
async fn invalidate(Path(id): Path<i32>) -> Result<StatusCode, AppError> {
    let removed: i64 = redis_conn().await?.del(cache_key(id)).await?;
    Ok(if removed > 0 { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND })
}

/// The entry's remaining TTL in seconds, as Redis reports it.
async fn ttl(Path(id): Path<i32>) -> Result<Json<serde_json::Value>, AppError> {
    let ttl: i64 = redis_conn().await?.ttl(cache_key(id)).await?;
    Ok(Json(serde_json::json!({ "key": cache_key(id), "ttl": ttl })))
}

fn app() -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/setup", post(setup))
        .route("/products", post(create_product))
        .route("/products/{id}", get(get_product))
        .route("/cache/{id}", get(ttl).delete(invalidate))
}

warpgrid_sdk::http_service!(app());
