//! `/api/ports`: the Ports-page entries, with the legacy field names.

use crate::web::error::ApiError;
use crate::web::extract::{Id, JsonBody};
use crate::web::AppState;
use app::model::PortEntry;
use app::ports::service;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sqlx::SqlitePool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ErrorBody, MoveConflict, MoveInput, PortInput, ValidationErrors};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(move_to))
}

/// Moves a manual entry to another host, number or place; 409 with the entry in the way and the
/// next free number when the target has that number and protocol already.
#[utoipa::path(post, path = "/api/ports/{id}/move", tag = "ports", params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = PortEntry), (status = 409, body = MoveConflict), (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn move_to(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<PortEntry>, ApiError> {
    Ok(Json(service::move_to(&pool, id, &body).await?))
}

/// Every entry, with the legacy field names and who discovered it.
#[utoipa::path(get, path = "/api/ports", tag = "ports",
    responses((status = 200, body = Vec<PortEntry>), (status = 401, body = ErrorBody)))]
async fn list(State(pool): State<SqlitePool>) -> Result<Json<Vec<PortEntry>>, ApiError> {
    Ok(Json(service::list(&pool).await?))
}

#[utoipa::path(get, path = "/api/ports/{id}", tag = "ports", params(("id" = i64, Path)),
    responses((status = 200, body = PortEntry), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn show(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<PortEntry>, ApiError> {
    Ok(Json(service::get(&pool, id).await?))
}

#[utoipa::path(post, path = "/api/ports", tag = "ports", request_body = PortInput,
    responses((status = 201, body = PortEntry), (status = 422, body = ValidationErrors),
        (status = 409, body = ErrorBody, description = "the address has that port already"), (status = 401, body = ErrorBody)))]
async fn create(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<PortEntry>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&pool, &body).await?),
    ))
}

#[utoipa::path(put, path = "/api/ports/{id}", tag = "ports", params(("id" = i64, Path)), request_body = PortInput,
    responses((status = 200, body = PortEntry), (status = 422, body = ValidationErrors),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn update(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<PortEntry>, ApiError> {
    Ok(Json(service::update(&pool, id, &body).await?))
}

#[utoipa::path(delete, path = "/api/ports/{id}", tag = "ports", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn remove(State(pool): State<SqlitePool>, Id(id): Id) -> Result<StatusCode, ApiError> {
    service::delete(&pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
