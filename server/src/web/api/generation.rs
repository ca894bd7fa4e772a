//! Port generation: `POST /api/ports/generate`, `GET /api/presets`, `GET`/`PUT /api/settings/ports`.

use crate::web::error::ApiError;
use crate::web::extract::JsonBody;
use crate::web::AppState;
use app::generation::{service, Generated, PortSettings, Preset};
use axum::extract::State;
use axum::Json;
use sqlx::SqlitePool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ErrorBody, GenerateInput, ValidationErrors};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(generate))
        .routes(routes!(presets))
        .routes(routes!(get_settings, put_settings))
}

/// Picks a free port on a host (uniformly among the free candidates of Settings → Ports). Saves
/// nothing unless `save` is true.
#[utoipa::path(post, path = "/api/ports/generate", tag = "generation", request_body = GenerateInput,
    responses((status = 200, body = Generated), (status = 422, body = ValidationErrors),
        (status = 409, body = ErrorBody, description = "no free port: how many are used and which setting to widen"),
        (status = 401, body = ErrorBody)))]
async fn generate(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<Generated>, ApiError> {
    Ok(Json(service::generate(&pool, &body).await?))
}

/// The app presets (name and usual port), from the Python Portall's list (MIT).
#[utoipa::path(get, path = "/api/presets", tag = "generation",
    responses((status = 200, body = Vec<Preset>), (status = 401, body = ErrorBody)))]
async fn presets() -> Json<&'static [Preset]> {
    Json(service::presets())
}

/// The port generation settings.
#[utoipa::path(get, path = "/api/settings/ports", tag = "generation",
    responses((status = 200, body = PortSettings), (status = 401, body = ErrorBody)))]
async fn get_settings(State(pool): State<SqlitePool>) -> Result<Json<PortSettings>, ApiError> {
    Ok(Json(service::settings(&pool).await?))
}

/// Changes the port generation settings (omitted fields keep their value).
#[utoipa::path(put, path = "/api/settings/ports", tag = "generation", request_body = PortSettings,
    responses((status = 200, body = PortSettings), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn put_settings(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<PortSettings>, ApiError> {
    Ok(Json(service::save_settings(&pool, &body).await?))
}
