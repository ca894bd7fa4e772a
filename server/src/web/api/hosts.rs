//! `/api/hosts`: the Ports page's panels — list, add, edit, delete, and the order of panels and of the
//! entries inside one.

use crate::web::error::ApiError;
use crate::web::extract::JsonBody;
use crate::web::AppState;
use app::hosts::{service, HostDeleted, HostEdited, HostSummary};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::SqlitePool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ErrorBody, HostEditInput, HostInput, HostOrder, PortOrder, ValidationErrors};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(order_hosts))
        .routes(routes!(update, remove))
        .routes(routes!(order_ports))
}

/// Every host, in panel order, with how many entries it has.
#[utoipa::path(get, path = "/api/hosts", tag = "hosts",
    responses((status = 200, body = Vec<HostSummary>), (status = 401, body = ErrorBody)))]
async fn list(State(pool): State<SqlitePool>) -> Result<Json<Vec<HostSummary>>, ApiError> {
    Ok(Json(service::list(&pool).await?))
}

/// Adds an empty host panel (it stays until deleted).
#[utoipa::path(post, path = "/api/hosts", tag = "hosts", request_body = HostInput,
    responses((status = 201, body = HostSummary), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn create(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<HostSummary>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&pool, &body).await?),
    ))
}

/// Puts the panels in this order (hosts left out follow in their current order).
#[utoipa::path(put, path = "/api/hosts/order", tag = "hosts", request_body = HostOrder,
    responses((status = 204), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn order_hosts(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    service::reorder(&pool, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a host's nickname and/or address (its manual entries move; discovered ones stay).
#[utoipa::path(put, path = "/api/hosts/{address}", tag = "hosts", params(("address" = String, Path)),
    request_body = HostEditInput,
    responses((status = 200, body = HostEdited), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the new address is a host already: send merge: true"),
        (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn update(
    State(pool): State<SqlitePool>,
    Path(address): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<HostEdited>, ApiError> {
    Ok(Json(service::update(&pool, &address, &body).await?))
}

/// Deletes a host's manual and stale entries; entries an integration still reports stay.
#[utoipa::path(delete, path = "/api/hosts/{address}", tag = "hosts", params(("address" = String, Path)),
    responses((status = 200, body = HostDeleted), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn remove(
    State(pool): State<SqlitePool>,
    Path(address): Path<String>,
) -> Result<Json<HostDeleted>, ApiError> {
    Ok(Json(service::delete(&pool, &address).await?))
}

/// Puts a panel's entries in this order (entries left out follow in their current order).
#[utoipa::path(put, path = "/api/hosts/{address}/order", tag = "hosts", params(("address" = String, Path)),
    request_body = PortOrder,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn order_ports(
    State(pool): State<SqlitePool>,
    Path(address): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    service::reorder_ports(&pool, &address, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
