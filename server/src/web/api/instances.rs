//! `/docker/instances`: list, create, read, update, delete and test integration instances.

use crate::web::error::ApiError;
use crate::web::extract::{Id, JsonBody};
use crate::web::AppState;
use app::discovery::model::ScanSummary;
use app::discovery::scheduler::{ScanError, ScanManager};
use app::error::ServiceError;
use app::instances::{type_schemas, InstanceView, TypeSchema};
use app::instances::{InstanceManager, TestOutcome};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ErrorBody, InstanceInput, ScanAnswer, ValidationErrors};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(types))
        .routes(routes!(test_unsaved))
        .routes(routes!(show, update, remove))
        .routes(routes!(test_saved))
        .routes(routes!(scan))
}

/// The answer of a scan request: the summary, or why it failed, and the instance as it is now.
pub async fn scan_response(
    m: &InstanceManager,
    id: i64,
    result: Result<ScanSummary, ScanError>,
) -> Result<Json<Value>, ApiError> {
    let body = match result {
        Ok(summary) => json!({"ok": true, "summary": summary}),
        Err(ScanError::NotFound(_)) => {
            return Err(ServiceError::NotFound(format!("integration {id}")).into())
        }
        Err(
            e @ (ScanError::Disabled(_) | ScanError::AlreadyScanning(_) | ScanError::ShuttingDown),
        ) => return Err(ServiceError::Conflict(e.to_string()).into()),
        Err(ScanError::Failed(message)) => json!({"ok": false, "error": message}),
    };
    let mut body = body;
    body["instance"] = serde_json::to_value(m.get(id).await?).unwrap_or_default();
    Ok(Json(body))
}

/// Scan now; the answer waits for the scan (which finishes even if the client goes away).
#[utoipa::path(post, path = "/docker/instances/{id}/scan", tag = "integrations",
    params(("id" = i64, Path)),
    responses((status = 200, body = ScanAnswer), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "disabled, or already scanning"), (status = 401, body = ErrorBody)))]
async fn scan(
    State(m): State<InstanceManager>,
    State(scans): State<ScanManager>,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let result = scans.scan_now(id).await;
    scan_response(&m, id, result).await
}

/// Every integration, secrets redacted (`<secret>_set`), with its scan status.
#[utoipa::path(get, path = "/docker/instances", tag = "integrations",
    responses((status = 200, body = Vec<InstanceView>), (status = 401, body = ErrorBody)))]
async fn list(State(m): State<InstanceManager>) -> Result<Json<Vec<InstanceView>>, ApiError> {
    Ok(Json(m.list().await?))
}

/// The fields of each integration type.
#[utoipa::path(get, path = "/docker/instances/types", tag = "integrations",
    responses((status = 200, body = Vec<TypeSchema>), (status = 401, body = ErrorBody)))]
async fn types() -> Json<Vec<TypeSchema>> {
    Json(type_schemas())
}

#[utoipa::path(post, path = "/docker/instances", tag = "integrations", request_body = InstanceInput,
    responses((status = 201, body = InstanceView), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn create(
    State(m): State<InstanceManager>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<InstanceView>), ApiError> {
    Ok((StatusCode::CREATED, Json(m.create(&body).await?)))
}

#[utoipa::path(get, path = "/docker/instances/{id}", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 200, body = InstanceView), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn show(
    State(m): State<InstanceManager>,
    Id(id): Id,
) -> Result<Json<InstanceView>, ApiError> {
    Ok(Json(m.get(id).await?))
}

/// A partial update: omitted fields keep their value.
#[utoipa::path(put, path = "/docker/instances/{id}", tag = "integrations", params(("id" = i64, Path)),
    request_body = InstanceInput,
    responses((status = 200, body = InstanceView), (status = 422, body = ValidationErrors),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn update(
    State(m): State<InstanceManager>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<InstanceView>, ApiError> {
    Ok(Json(m.update(id, &body).await?))
}

/// Deletes the integration and the entries only it discovered (manual entries stay).
#[utoipa::path(delete, path = "/docker/instances/{id}", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn remove(State(m): State<InstanceManager>, Id(id): Id) -> Result<StatusCode, ApiError> {
    m.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tests a saved integration's connection.
#[utoipa::path(post, path = "/docker/instances/{id}/test", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 200, body = TestOutcome), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn test_saved(
    State(m): State<InstanceManager>,
    Id(id): Id,
) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(m.test_saved(id).await?))
}

/// Tests unsaved values; with `id`, blank secrets come from that integration (same address only).
#[utoipa::path(post, path = "/docker/instances/test", tag = "integrations", request_body = InstanceInput,
    responses((status = 200, body = TestOutcome), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn test_unsaved(
    State(m): State<InstanceManager>,
    JsonBody(body): JsonBody,
) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(m.test_unsaved(&body).await?))
}
