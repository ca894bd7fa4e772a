//! Import, export, backup, purge, appearance and About, and the custom style sheet: thin callers of
//! `app::transfer::service`.

use crate::web::error::ApiError;
use crate::web::extract::JsonBody;
use crate::web::AppState;
use app::instances::InstanceManager;
use app::transfer::api::About;
use app::transfer::appearance::{self, Cache};
use app::transfer::{service, Appearance, ImportReport, PurgeReport};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sqlx::SqlitePool;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{AppearanceInput, ErrorBody, ImportInput, PurgeInput, ValidationErrors};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(export))
        .routes(routes!(backup))
        .routes(routes!(purge))
        .routes(routes!(get_appearance, put_appearance))
        .routes(routes!(about))
        .routes(routes!(custom_css))
}

/// Reads a Compose file, a Caddyfile, a Portall JSON export or our CSV: with `dry_run` only what
/// would be added, skipped (already present) and not understood (with line numbers); otherwise the
/// new entries are added in one transaction (`source = import`, auto-run tagging rules applied).
#[utoipa::path(post, path = "/api/import", tag = "data", request_body = ImportInput,
    responses((status = 200, body = ImportReport), (status = 422, body = ValidationErrors),
        (status = 401, body = ErrorBody)))]
async fn import(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<ImportReport>, ApiError> {
    Ok(Json(service::import(&pool, &body).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (everything, imports back) or `csv` (the entries, for a spreadsheet).
    format: Option<String>,
}

fn attachment(name: &str, content_type: &'static str, body: Body) -> Response {
    let mut resp = Response::new(body);
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Everything as JSON (entries with order, tags, source and integrations; hosts, tags, rules,
/// settings, integrations without secrets) or the entries as CSV, as a download named
/// `portall-export-YYYY-MM-DD.json`.
#[utoipa::path(get, path = "/api/export", tag = "data", params(ExportQuery),
    responses((status = 200, description = "the export file"), (status = 422, body = ValidationErrors),
        (status = 401, body = ErrorBody)))]
async fn export(
    State(pool): State<SqlitePool>,
    State(instances): State<InstanceManager>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let day = chrono::Utc::now().format("%Y-%m-%d");
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let doc = service::export_json(&pool, &instances.list().await?).await?;
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            Ok(attachment(
                &format!("portall-export-{day}.json"),
                "application/json",
                Body::from(text),
            ))
        }
        "csv" => Ok(attachment(
            &format!("portall-export-{day}.csv"),
            "text/csv; charset=utf-8",
            Body::from(service::export_csv(&pool).await?),
        )),
        _ => Err(app::error::ServiceError::field("format", "choose json or csv").into()),
    }
}

/// A consistent copy of the database (SQLite, `VACUUM INTO`), streamed. Restore: stop Portall and
/// start it with this file as its database.
#[utoipa::path(get, path = "/api/backup", tag = "data",
    responses((status = 200, description = "a SQLite database file"), (status = 401, body = ErrorBody)))]
async fn backup(State(pool): State<SqlitePool>) -> Result<Response, ApiError> {
    let file = service::snapshot_file(&pool).await?;
    let name = app::transfer::service::backup_name(chrono::Utc::now());
    Ok(attachment(
        &name,
        "application/vnd.sqlite3",
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    ))
}

/// Deletes every manual (and imported) entry, and with `discovered: true` the discovered ones too;
/// tags and rules stay. Needs `{"confirm": "purge"}`.
#[utoipa::path(post, path = "/api/purge", tag = "data", request_body = PurgeInput,
    responses((status = 200, body = PurgeReport), (status = 422, body = ValidationErrors),
        (status = 401, body = ErrorBody)))]
async fn purge(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<PurgeReport>, ApiError> {
    Ok(Json(service::purge(&pool, &body).await?))
}

#[utoipa::path(get, path = "/api/settings/appearance", tag = "settings",
    responses((status = 200, body = Appearance), (status = 401, body = ErrorBody)))]
async fn get_appearance(State(pool): State<SqlitePool>) -> Result<Json<Appearance>, ApiError> {
    Ok(Json(appearance::load(&pool).await?))
}

/// Theme (`system`, `light`, `dark`) and custom CSS (at most 64 KiB), applied on every page.
#[utoipa::path(put, path = "/api/settings/appearance", tag = "settings", request_body = AppearanceInput,
    responses((status = 200, body = Appearance), (status = 422, body = ValidationErrors),
        (status = 401, body = ErrorBody)))]
async fn put_appearance(
    State(pool): State<SqlitePool>,
    State(cache): State<Cache>,
    JsonBody(body): JsonBody,
) -> Result<Json<Appearance>, ApiError> {
    Ok(Json(appearance::save(&pool, &cache, &body).await?))
}

/// Version, build, schema version, the database file and its size, and the counts.
#[utoipa::path(get, path = "/api/about", tag = "settings",
    responses((status = 200, body = About), (status = 401, body = ErrorBody)))]
async fn about(State(pool): State<SqlitePool>) -> Result<Json<About>, ApiError> {
    Ok(Json(service::about(&pool).await?))
}

/// The custom style sheet (Settings → Appearance), linked from every page. A file of its own, so
/// nothing in it can end a `<style>` element and run as markup.
#[utoipa::path(get, path = "/custom.css", tag = "settings", security(()),
    responses((status = 200, description = "text/css")))]
async fn custom_css(State(cache): State<Cache>) -> impl IntoResponse {
    let css = cache.get().custom_css.clone();
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            // The link carries the content's version, so a change is a new address.
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        css,
    )
}
