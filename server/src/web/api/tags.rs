//! Tags, the tags of entries, tagging rules, rule templates and the tagging configuration's export
//! and import: thin callers of `app::tags::service`.

use crate::web::error::ApiError;
use crate::web::extract::{Id, JsonBody};
use crate::web::AppState;
use app::tags::service::{self, BulkReport};
use app::tags::{Applied, LogEntry, Preview, Rule, RunReport, Tag, TagRef, Template};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use sqlx::SqlitePool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{
    BulkTagsInput, Deleted, ErrorBody, PortTagsInput, RuleInput, TagIds, TagInput, TaggingConfig,
    ValidationErrors,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(delete_many))
        .routes(routes!(remove_unused))
        .routes(routes!(port_tags, set_port_tags))
        .routes(routes!(bulk))
        .routes(routes!(rules, create_rule))
        .routes(routes!(rule, update_rule, delete_rule))
        .routes(routes!(preview))
        .routes(routes!(run_rule))
        .routes(routes!(run_all))
        .routes(routes!(log))
        .routes(routes!(templates))
        .routes(routes!(apply_template))
        .routes(routes!(export))
        .routes(routes!(import))
}

/// Every tag with how many entries carry it.
#[utoipa::path(get, path = "/api/tags", tag = "tags",
    responses((status = 200, body = Vec<Tag>), (status = 401, body = ErrorBody)))]
async fn list(State(pool): State<SqlitePool>) -> Result<Json<Vec<Tag>>, ApiError> {
    Ok(Json(service::list(&pool).await?))
}

#[utoipa::path(post, path = "/api/tags", tag = "tags", request_body = TagInput,
    responses((status = 201, body = Tag), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn create(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Tag>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&pool, &body).await?),
    ))
}

#[utoipa::path(get, path = "/api/tags/{id}", tag = "tags", params(("id" = i64, Path)),
    responses((status = 200, body = Tag), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn show(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<Tag>, ApiError> {
    Ok(Json(service::get(&pool, id).await?))
}

#[utoipa::path(put, path = "/api/tags/{id}", tag = "tags", params(("id" = i64, Path)), request_body = TagInput,
    responses((status = 200, body = Tag), (status = 422, body = ValidationErrors), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn update(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<Tag>, ApiError> {
    Ok(Json(service::update(&pool, id, &body).await?))
}

/// Deletes a tag and its assignments; the entries stay.
#[utoipa::path(delete, path = "/api/tags/{id}", tag = "tags", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn remove(State(pool): State<SqlitePool>, Id(id): Id) -> Result<StatusCode, ApiError> {
    service::delete(&pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn deleted(names: Vec<String>) -> Json<Value> {
    let message = match names.len() {
        0 => "no tag deleted".to_string(),
        n => format!(
            "{n} tag{} deleted: {}",
            if n == 1 { "" } else { "s" },
            names.join(", ")
        ),
    };
    Json(json!({"deleted": names, "message": message}))
}

/// Deletes several tags (`{"ids": [..]}`) and their assignments.
#[utoipa::path(post, path = "/api/tags/delete", tag = "tags", request_body = TagIds,
    responses((status = 200, body = Deleted), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn delete_many(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    Ok(deleted(service::delete_many(&pool, &body).await?))
}

/// Deletes every tag no entry carries.
#[utoipa::path(post, path = "/api/tags/remove-unused", tag = "tags",
    responses((status = 200, body = Deleted), (status = 401, body = ErrorBody)))]
async fn remove_unused(State(pool): State<SqlitePool>) -> Result<Json<Value>, ApiError> {
    Ok(deleted(service::remove_unused(&pool).await?))
}

#[utoipa::path(get, path = "/api/ports/{id}/tags", tag = "tags", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TagRef>), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn port_tags(
    State(pool): State<SqlitePool>,
    Id(id): Id,
) -> Result<Json<Vec<TagRef>>, ApiError> {
    Ok(Json(service::of_port(&pool, id).await?))
}

/// Sets exactly the tags an entry carries (discovered entries too: tags are Portall's own data).
#[utoipa::path(put, path = "/api/ports/{id}/tags", tag = "tags", params(("id" = i64, Path)), request_body = PortTagsInput,
    responses((status = 200, body = Vec<TagRef>), (status = 422, body = ValidationErrors), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn set_port_tags(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<Vec<TagRef>>, ApiError> {
    Ok(Json(service::set_port_tags(&pool, id, &body).await?))
}

/// Adds and removes tags on many entries at once.
#[utoipa::path(post, path = "/api/ports/tags", tag = "tags", request_body = BulkTagsInput,
    responses((status = 200, body = BulkReport), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn bulk(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<BulkReport>, ApiError> {
    Ok(Json(service::bulk(&pool, &body).await?))
}

/// Every rule, in the order they run (priority, higher first). A rule with `problem` set was
/// upgraded with conditions or actions this Portall cannot read; it does not run until edited.
#[utoipa::path(get, path = "/api/rules", tag = "rules",
    responses((status = 200, body = Vec<Rule>), (status = 401, body = ErrorBody)))]
async fn rules(State(pool): State<SqlitePool>) -> Result<Json<Vec<Rule>>, ApiError> {
    Ok(Json(service::rules(&pool).await?))
}

#[utoipa::path(post, path = "/api/rules", tag = "rules", request_body = RuleInput,
    responses((status = 201, body = Rule), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn create_rule(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_rule(&pool, &body).await?),
    ))
}

#[utoipa::path(get, path = "/api/rules/{id}", tag = "rules", params(("id" = i64, Path)),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn rule(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<Rule>, ApiError> {
    Ok(Json(service::rule(&pool, id).await?))
}

#[utoipa::path(put, path = "/api/rules/{id}", tag = "rules", params(("id" = i64, Path)), request_body = RuleInput,
    responses((status = 200, body = Rule), (status = 422, body = ValidationErrors), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn update_rule(
    State(pool): State<SqlitePool>,
    Id(id): Id,
    JsonBody(body): JsonBody,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(service::update_rule(&pool, id, &body).await?))
}

#[utoipa::path(delete, path = "/api/rules/{id}", tag = "rules", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn delete_rule(State(pool): State<SqlitePool>, Id(id): Id) -> Result<StatusCode, ApiError> {
    service::delete_rule(&pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which entries a rule body matches now and how many it would change; nothing is saved.
#[utoipa::path(post, path = "/api/rules/preview", tag = "rules", request_body = RuleInput,
    responses((status = 200, body = Preview), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn preview(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(service::preview(&pool, &body).await?))
}

/// Runs one rule over every entry.
#[utoipa::path(post, path = "/api/rules/{id}/run", tag = "rules", params(("id" = i64, Path)),
    responses((status = 200, body = RunReport), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the rule cannot run until it is edited"), (status = 401, body = ErrorBody)))]
async fn run_rule(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<RunReport>, ApiError> {
    Ok(Json(service::run_rule(&pool, id).await?))
}

/// Runs every enabled rule over every entry, higher priority first.
#[utoipa::path(post, path = "/api/rules/run", tag = "rules",
    responses((status = 200, body = RunReport), (status = 401, body = ErrorBody)))]
async fn run_all(State(pool): State<SqlitePool>) -> Result<Json<RunReport>, ApiError> {
    Ok(Json(service::run_all(&pool).await?))
}

/// A rule's newest 100 actions.
#[utoipa::path(get, path = "/api/rules/{id}/log", tag = "rules", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<LogEntry>), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn log(State(pool): State<SqlitePool>, Id(id): Id) -> Result<Json<Vec<LogEntry>>, ApiError> {
    Ok(Json(service::log(&pool, id).await?))
}

/// The built-in rule templates.
#[utoipa::path(get, path = "/api/rule-templates", tag = "rules",
    responses((status = 200, body = Vec<Template>), (status = 401, body = ErrorBody)))]
async fn templates() -> Json<Vec<Template>> {
    Json(service::templates())
}

/// Adds a template's rules; names that exist are skipped and reported.
#[utoipa::path(post, path = "/api/rule-templates/{name}/apply", tag = "rules", params(("name" = String, Path)),
    responses((status = 200, body = Applied), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn apply_template(
    State(pool): State<SqlitePool>,
    Path(name): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    Ok(Json(service::apply_template(&pool, &name).await?))
}

/// The tags and rules as `{exported_at, version: "1.0", tags, rules}`.
#[utoipa::path(get, path = "/api/tagging/export", tag = "rules",
    responses((status = 200, body = TaggingConfig), (status = 401, body = ErrorBody)))]
async fn export(State(pool): State<SqlitePool>) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::export(&pool).await?))
}

/// Imports a tagging configuration (this Portall's export or the Python Portall's); existing names
/// are skipped and reported, a bad tag or rule refuses the whole file.
#[utoipa::path(post, path = "/api/tagging/import", tag = "rules", request_body = TaggingConfig,
    responses((status = 200, body = Applied), (status = 422, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn import(
    State(pool): State<SqlitePool>,
    JsonBody(body): JsonBody,
) -> Result<Json<Applied>, ApiError> {
    Ok(Json(service::import(&pool, &body).await?))
}
