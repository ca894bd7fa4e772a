//! The server functions of import, purge, appearance and About: thin callers of `transfer::service`,
//! as the REST API is. Export and backup are plain downloads (`/api/export`, `/api/backup`).

use super::{Appearance, ImportReport, PurgeReport};
use crate::api::SaveOutcome;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::server;

/// Reads an import (`body`: `{format, content, host?, dry_run}`): a dry run previews, otherwise the
/// entries are added. A file that cannot be read answers `Invalid` with `content` → the reason.
#[server]
pub async fn import_data(body: String) -> Result<SaveOutcome<ImportReport>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(super::service::import(&s.pool, &input).await)
}

/// Deletes the manual entries (`body`: `{"confirm": "purge", "discovered": bool}`).
#[server]
pub async fn purge_entries(body: String) -> Result<SaveOutcome<PurgeReport>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(super::service::purge(&s.pool, &input).await)
}

#[server]
pub async fn get_appearance() -> Result<Appearance, ServerFnError> {
    super::appearance::load(&server::services()?.pool)
        .await
        .map_err(server::failure)
}

#[server]
pub async fn save_appearance(body: String) -> Result<SaveOutcome<Appearance>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(super::appearance::save(&s.pool, &s.appearance, &input).await)
}

/// What Settings → About shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct About {
    pub version: String,
    /// The commit the binary was built from, when the build said.
    pub build: String,
    pub schema_version: i64,
    pub database_path: String,
    pub database_bytes: i64,
    pub ports: i64,
    pub hosts: i64,
    pub tags: i64,
    pub rules: i64,
    pub integrations: i64,
    /// Where scheduled backups go (`PORTALL_BACKUP_DIR`), when set.
    pub backup_dir: Option<String>,
}

#[server]
pub async fn about_portall() -> Result<About, ServerFnError> {
    let s = server::services()?;
    super::service::about(&s.pool)
        .await
        .map_err(server::failure)
}
