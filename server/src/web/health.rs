//! `GET /healthz`: is the process up and the database usable.

use app::db;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sqlx::SqlitePool;

/// Is the process up and the database usable. Open.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, body = crate::web::api::docs::Health),
        (status = 503, body = crate::web::api::docs::Health, description = "the database is unusable")))]
pub async fn healthz(State(pool): State<SqlitePool>) -> (StatusCode, Json<Value>) {
    match db::check(&pool).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unusable_database_is_503_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let pool = app::db::open(&dir.path().join("h.db")).await.unwrap();
        let (status, Json(body)) = healthz(State(pool.clone())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["database"], "ok");
        pool.close().await;
        let (status, Json(body)) = healthz(State(pool)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "error");
        assert!(
            body["database"].as_str().unwrap().contains("closed"),
            "{body}"
        );
    }
}
