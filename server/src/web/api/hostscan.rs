//! Host scanning and reachability: one-off scans of a host (started, followed, cancelled, their
//! findings added) and "Check now". Thin callers of `app::hostscan::service`; the scheduled host
//! scans are instances (`type: hostscan`) under `/docker/instances`.

use crate::web::error::ApiError;
use crate::web::extract::JsonBody;
use crate::web::AppState;
use app::events::EventBus;
use app::hostscan::service::{self, Scans};
use app::hostscan::{CheckSchedule, HostCheck, ScanStatus};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sqlx::SqlitePool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{
    AddFoundInput, CheckScheduleInput, ErrorBody, HostScanInput, ScanStarted, ValidationErrors,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(status, cancel))
        .routes(routes!(add_found))
        .routes(routes!(check))
        .routes(routes!(get_schedule, put_schedule))
}

/// Starts a TCP connect scan of one host (only the address given, resolved once). Progress is
/// pushed as `host_scan` events on `/api/events` and readable at `/api/scans/{id}`. At most four
/// one-off scans run at once (409 beyond).
#[utoipa::path(post, path = "/api/hosts/{address}/scan", tag = "scanning",
    params(("address" = String, Path)), request_body = HostScanInput,
    responses((status = 202, body = ScanStarted), (status = 422, body = ValidationErrors),
        (status = 409, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn start(
    State(pool): State<SqlitePool>,
    State(events): State<EventBus>,
    State(scans): State<Scans>,
    Path(address): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let status = scans.start(&pool, &events, &address, &body).await?;
    let mut resp = (
        StatusCode::ACCEPTED,
        Json(ScanStarted {
            scan_id: status.scan_id,
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/scans/{}", status.scan_id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// Where a scan is: running, done, cancelled or failed; ports checked of the total; the open
/// ports found so far, each saying whether the host already has an entry for it.
#[utoipa::path(get, path = "/api/scans/{id}", tag = "scanning", params(("id" = u64, Path)),
    responses((status = 200, body = ScanStatus), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn status(
    State(pool): State<SqlitePool>,
    State(scans): State<Scans>,
    Path(id): Path<u64>,
) -> Result<Json<ScanStatus>, ApiError> {
    Ok(Json(scans.status(&pool, id).await?))
}

/// Cancels a running scan; what it found until then stays readable.
#[utoipa::path(delete, path = "/api/scans/{id}", tag = "scanning", params(("id" = u64, Path)),
    responses((status = 200, body = ScanStatus), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn cancel(
    State(pool): State<SqlitePool>,
    State(scans): State<Scans>,
    Path(id): Path<u64>,
) -> Result<Json<ScanStatus>, ApiError> {
    Ok(Json(scans.cancel(&pool, id).await?))
}

/// Adds found ports as TCP entries of the scanned host (`source = scan`, described by their
/// service, auto-run tagging rules applied); ports it already has are skipped.
#[utoipa::path(post, path = "/api/scans/{id}/add", tag = "scanning", params(("id" = u64, Path)),
    request_body = AddFoundInput,
    responses((status = 200, body = ScanStatus), (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn add_found(
    State(pool): State<SqlitePool>,
    State(events): State<EventBus>,
    State(scans): State<Scans>,
    Path(id): Path<u64>,
    JsonBody(body): JsonBody,
) -> Result<Json<ScanStatus>, ApiError> {
    Ok(Json(scans.add_found(&pool, &events, id, &body).await?))
}

/// Tries every entry of the host now (TCP connect, 1.5 s timeout; UDP entries are `unknown`) and
/// records the answer on each; the entries' data never changes.
#[utoipa::path(post, path = "/api/hosts/{address}/check", tag = "scanning",
    params(("address" = String, Path)),
    responses((status = 200, body = HostCheck), (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn check(
    State(pool): State<SqlitePool>,
    State(events): State<EventBus>,
    Path(address): Path<String>,
) -> Result<Json<HostCheck>, ApiError> {
    Ok(Json(service::check_host(&pool, &events, &address).await?))
}

/// How often every entry is checked in the background (minutes; 0: never, the default).
#[utoipa::path(get, path = "/api/settings/reachability", tag = "scanning",
    responses((status = 200, body = CheckSchedule), (status = 401, body = ErrorBody)))]
async fn get_schedule(State(pool): State<SqlitePool>) -> Result<Json<CheckSchedule>, ApiError> {
    Ok(Json(service::check_schedule(&pool).await?))
}

/// Sets how often every entry is checked in the background: 0 (never), 5, 15, 60, 360 or 1440 minutes.
#[utoipa::path(put, path = "/api/settings/reachability", tag = "scanning",
    request_body = CheckScheduleInput,
    responses((status = 200, body = CheckSchedule), (status = 422, body = ValidationErrors),
        (status = 401, body = ErrorBody)))]
async fn put_schedule(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<CheckSchedule>, ApiError> {
    Ok(Json(service::save_check_schedule(&pool, &body).await?))
}
