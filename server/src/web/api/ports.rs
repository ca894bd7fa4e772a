//! `/api/ports`: the Ports-page entries, with the legacy field names.

use crate::web::error::ApiError;
use crate::web::extract::{Id, JsonBody};
use crate::web::AppState;
use app::model::PortEntry;
use app::ports::service;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sqlx::SqlitePool;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/ports", get(list).post(create))
        .route("/api/ports/{id}", get(show).put(update).delete(remove))
}

async fn list(State(pool): State<SqlitePool>) -> Result<Json<Vec<PortEntry>>, ApiError> {
    Ok(Json(service::list(&pool).await?))
}

async fn show(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<PortEntry>, ApiError> {
    Ok(Json(service::get(&pool, id).await?))
}

async fn create(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<PortEntry>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&pool, &body).await?),
    ))
}

async fn update(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<PortEntry>, ApiError> {
    Ok(Json(service::update(&pool, id, &body).await?))
}

async fn remove(State(pool): State<SqlitePool>, Id(id): Id) -> Result<StatusCode, ApiError> {
    service::delete(&pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
