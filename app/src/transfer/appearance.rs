//! Theme and custom CSS. They live in the legacy `setting` rows (`theme`, `custom_css`), so an
//! upgraded database's choices take effect; a copy is kept in memory because the document shell
//! renders `<html data-theme>` and the style sheet link synchronously, on every page.

use super::{parse_appearance, Appearance, Theme};
use crate::error::ServiceError;
use serde_json::Value;
use sqlx::SqlitePool;
use std::sync::{Arc, RwLock};

/// The appearance now, shared by the services and the document shell.
#[derive(Clone, Debug, Default)]
pub struct Cache(Arc<RwLock<Arc<Appearance>>>);

impl Cache {
    pub fn get(&self) -> Arc<Appearance> {
        self.0.read().map(|a| a.clone()).unwrap_or_default()
    }

    pub fn set(&self, a: Appearance) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Arc::new(a);
        }
    }
}

pub async fn load(pool: &SqlitePool) -> Result<Appearance, ServiceError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        r#"SELECT "key", value FROM setting WHERE "key" IN ('theme', 'custom_css')"#,
    )
    .fetch_all(pool)
    .await?;
    let mut out = Appearance::default();
    for (key, value) in rows {
        match key.as_str() {
            "theme" => out.theme = Theme::parse(&value).unwrap_or_default(),
            _ => out.custom_css = value,
        }
    }
    Ok(out)
}

/// Saves an edit (422 with field → messages, nothing stored, when it is wrong) and puts it in effect.
pub async fn save(
    pool: &SqlitePool,
    cache: &Cache,
    input: &Value,
) -> Result<Appearance, ServiceError> {
    let current = load(pool).await?;
    let next = parse_appearance(input, &current).map_err(ServiceError::Validation)?;
    crate::db::put_settings(
        pool,
        &[
            ("theme", next.theme.as_str()),
            ("custom_css", next.custom_css.as_str()),
        ],
    )
    .await?;
    cache.set(next.clone());
    Ok(next)
}
