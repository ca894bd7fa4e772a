//! `/api/ports`: the Ports-page entries, with the legacy field names.

use crate::error::ServiceError;
use crate::ports;
use crate::web::extract::{Id, JsonBody};
use crate::web::AppState;
use app::model::PortEntry;
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

async fn list(State(pool): State<SqlitePool>) -> Result<Json<Vec<PortEntry>>, ServiceError> {
    ports::list(&pool).await.map(Json)
}

async fn show(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<PortEntry>, ServiceError> {
    ports::get(&pool, id).await.map(Json)
}

async fn create(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<PortEntry>), ServiceError> {
    Ok((
        StatusCode::CREATED,
        Json(ports::create(&pool, &body).await?),
    ))
}

async fn update(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<PortEntry>, ServiceError> {
    ports::update(&pool, id, &body).await.map(Json)
}

async fn remove(State(pool): State<SqlitePool>, Id(id): Id) -> Result<StatusCode, ServiceError> {
    ports::delete(&pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
