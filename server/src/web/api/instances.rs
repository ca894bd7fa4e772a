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
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/docker/instances", get(list).post(create))
        .route("/docker/instances/types", get(types))
        .route("/docker/instances/test", post(test_unsaved))
        .route(
            "/docker/instances/{id}",
            get(show).put(update).delete(remove),
        )
        .route("/docker/instances/{id}/test", post(test_saved))
        .route("/docker/instances/{id}/scan", post(scan))
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

async fn scan(
    State(m): State<InstanceManager>,
    State(scans): State<ScanManager>,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let result = scans.scan_now(id).await;
    scan_response(&m, id, result).await
}

async fn list(State(m): State<InstanceManager>) -> Result<Json<Vec<InstanceView>>, ApiError> {
    Ok(Json(m.list().await?))
}

async fn types() -> Json<Vec<TypeSchema>> {
    Json(type_schemas())
}

async fn create(
    State(m): State<InstanceManager>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<InstanceView>), ApiError> {
    Ok((StatusCode::CREATED, Json(m.create(&body).await?)))
}

async fn show(
    State(m): State<InstanceManager>,
    Id(id): Id,
) -> Result<Json<InstanceView>, ApiError> {
    Ok(Json(m.get(id).await?))
}

async fn update(
    State(m): State<InstanceManager>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<InstanceView>, ApiError> {
    Ok(Json(m.update(id, &body).await?))
}

async fn remove(State(m): State<InstanceManager>, Id(id): Id) -> Result<StatusCode, ApiError> {
    m.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test_saved(
    State(m): State<InstanceManager>,
    Id(id): Id,
) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(m.test_saved(id).await?))
}

async fn test_unsaved(
    State(m): State<InstanceManager>,
    JsonBody(body): JsonBody,
) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(m.test_unsaved(&body).await?))
}
