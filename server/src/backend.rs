//! The server's implementation of the interface the Leptos server functions call.

use crate::storage;
use app::model::{PortEntry, SystemHealth};
use sqlx::SqlitePool;

pub struct ServerBackend {
    pool: SqlitePool,
}

impl ServerBackend {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait::async_trait]
impl app::api::Backend for ServerBackend {
    async fn system_health(&self) -> SystemHealth {
        let database = match storage::check(&self.pool).await {
            Ok(()) => "ok".to_string(),
            Err(e) => e,
        };
        SystemHealth {
            database,
            schema_version: storage::schema_version(&self.pool).await.unwrap_or(0),
            port_count: storage::ports::count(&self.pool).await.unwrap_or(0),
            instance_count: storage::instance_count(&self.pool).await.unwrap_or(0),
            version: env!("CARGO_PKG_VERSION").to_string(),
            checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }

    async fn list_ports(&self) -> Result<Vec<PortEntry>, String> {
        storage::ports::list(&self.pool).await.map_err(|e| {
            tracing::error!(error = %e, "listing ports failed");
            "the database could not be read".to_string()
        })
    }
}
