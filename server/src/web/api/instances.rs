//! `/docker/instances`: list, create, read, update, delete and test integration instances.

use crate::error::ServiceError;
use crate::instances::{InstanceManager, TestOutcome};
use crate::web::extract::{Id, JsonBody};
use crate::web::AppState;
use app::instances::{type_schemas, InstanceView, TypeSchema};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

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
}

async fn list(State(m): State<InstanceManager>) -> Result<Json<Vec<InstanceView>>, ServiceError> {
    m.list().await.map(Json)
}

async fn types() -> Json<Vec<TypeSchema>> {
    Json(type_schemas())
}

async fn create(
    State(m): State<InstanceManager>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<InstanceView>), ServiceError> {
    Ok((StatusCode::CREATED, Json(m.create(&body).await?)))
}

async fn show(
    State(m): State<InstanceManager>,
    Id(id): Id,
) -> Result<Json<InstanceView>, ServiceError> {
    m.get(id).await.map(Json)
}

async fn update(
    State(m): State<InstanceManager>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<InstanceView>, ServiceError> {
    m.update(id, &body).await.map(Json)
}

async fn remove(State(m): State<InstanceManager>, Id(id): Id) -> Result<StatusCode, ServiceError> {
    m.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test_saved(
    State(m): State<InstanceManager>,
    Id(id): Id,
) -> Result<Json<TestOutcome>, ServiceError> {
    m.test_saved(id).await.map(Json)
}

async fn test_unsaved(
    State(m): State<InstanceManager>,
    JsonBody(body): JsonBody,
) -> Result<Json<TestOutcome>, ServiceError> {
    m.test_unsaved(&body).await.map(Json)
}
