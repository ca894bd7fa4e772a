//! `GET /healthz`: is the process up and the database usable.

use crate::storage;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sqlx::SqlitePool;

pub async fn healthz(State(pool): State<SqlitePool>) -> (StatusCode, Json<Value>) {
    match storage::check(&pool).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok"})),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "database": reason})),
        ),
    }
}
