//! The tags and rules server functions: thin callers of `tags::service`, as the REST API is.

use super::{Applied, LogEntry, Preview, Rule, Tag, TagRef, Template};
use crate::api::{ActionOutcome, SaveOutcome};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::server;

#[server]
pub async fn list_tags() -> Result<Vec<Tag>, ServerFnError> {
    super::service::list(&server::services()?.pool)
        .await
        .map_err(server::failure)
}

/// Adds (`id` None) or edits a tag; `body` is `{name, color, description}`.
#[server]
pub async fn save_tag(id: Option<i64>, body: String) -> Result<SaveOutcome<Tag>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(match id {
        Some(id) => super::service::update(&s.pool, id, &input).await,
        None => super::service::create(&s.pool, &input).await,
    })
}

/// Deletes tags (`body`: `{"ids": [..]}`); their assignments go, the entries stay.
#[server]
pub async fn delete_tags(body: String) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::action(
        super::service::delete_many(&s.pool, &input)
            .await
            .map(|names| deleted(&names)),
    )
}

#[server]
pub async fn remove_unused_tags() -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(
        super::service::remove_unused(&s.pool)
            .await
            .map(|names| deleted(&names)),
    )
}

#[cfg(feature = "ssr")]
fn deleted(names: &[String]) -> String {
    match names.len() {
        0 => "No unused tag".into(),
        1 => format!("Deleted {}", names[0]),
        n => format!("Deleted {n} tags: {}", names.join(", ")),
    }
}

/// Sets exactly the tags an entry carries (`body`: `{"tag_ids": [..]}`; a list travels as JSON, since
/// an empty one would vanish from a form body).
#[server]
pub async fn set_port_tags(
    id: i64,
    body: String,
) -> Result<SaveOutcome<Vec<TagRef>>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(super::service::set_port_tags(&s.pool, id, &input).await)
}

/// Tags and untags many entries (`body` as `POST /api/ports/tags`).
#[server]
pub async fn bulk_tag(body: String) -> Result<SaveOutcome<ActionOutcome>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(
        super::service::bulk(&s.pool, &input)
            .await
            .map(|r| ActionOutcome {
                ok: true,
                message: r.message,
            }),
    )
}

#[server]
pub async fn list_rules() -> Result<Vec<Rule>, ServerFnError> {
    super::service::rules(&server::services()?.pool)
        .await
        .map_err(server::failure)
}

/// Adds (`id` None) or edits a rule; `body` is the rule as JSON.
#[server]
pub async fn save_rule(id: Option<i64>, body: String) -> Result<SaveOutcome<Rule>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(match id {
        Some(id) => super::service::update_rule(&s.pool, id, &input).await,
        None => super::service::create_rule(&s.pool, &input).await,
    })
}

#[server]
pub async fn delete_rule(id: i64) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(
        super::service::delete_rule(&s.pool, id)
            .await
            .map(|()| "Rule deleted".to_string()),
    )
}

/// What a rule body would match and change; nothing is saved.
#[server]
pub async fn preview_rule(body: String) -> Result<SaveOutcome<Preview>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(super::service::preview(&s.pool, &input).await)
}

/// Runs one rule (`id`) or, without one, every enabled rule.
#[server]
pub async fn run_rules(id: Option<i64>) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    let report = match id {
        Some(id) => super::service::run_rule(&s.pool, id).await,
        None => super::service::run_all(&s.pool).await,
    };
    server::action(report.map(|r| r.message))
}

#[server]
pub async fn rule_log(id: i64) -> Result<Vec<LogEntry>, ServerFnError> {
    super::service::log(&server::services()?.pool, id)
        .await
        .map_err(server::failure)
}

#[server]
pub async fn rule_templates() -> Result<Vec<Template>, ServerFnError> {
    Ok(super::service::templates())
}

#[server]
pub async fn apply_template(name: String) -> Result<ActionOutcome, ServerFnError> {
    let s = server::services()?;
    server::action(
        super::service::apply_template(&s.pool, &name)
            .await
            .map(|a| a.message),
    )
}

/// Imports a tagging configuration (`body`: the JSON file's text).
#[server]
pub async fn import_tagging(body: String) -> Result<SaveOutcome<Applied>, ServerFnError> {
    let s = server::services()?;
    let input: serde_json::Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => {
            let mut errors = crate::validation::FieldErrors::new();
            crate::validation::push_error(
                &mut errors,
                "file",
                format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
            );
            return Ok(SaveOutcome::Invalid(errors));
        }
    };
    server::outcome(super::service::import(&s.pool, &input).await)
}
