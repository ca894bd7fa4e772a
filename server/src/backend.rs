//! The server's implementation of the interface the Leptos server functions call: the same services
//! (instance manager, scan manager, ports) the REST API uses.

use crate::error::ServiceError;
use crate::instances::InstanceManager;
use crate::scan::manager::{ScanError, ScanManager};
use crate::scan::model::ScanSummary;
use crate::{ports, storage};
use app::api::{ActionOutcome, InstanceList, SaveOutcome};
use app::instances::InstanceView;
use app::model::{PortEntry, SystemHealth};
use sqlx::SqlitePool;

pub struct ServerBackend {
    pool: SqlitePool,
    instances: InstanceManager,
    scans: ScanManager,
}

impl ServerBackend {
    pub fn new(pool: SqlitePool, instances: InstanceManager, scans: ScanManager) -> Self {
        Self {
            pool,
            instances,
            scans,
        }
    }
}

/// Field errors and conflicts are answers for the form; anything else is an error for the caller.
fn outcome<T>(r: Result<T, ServiceError>) -> Result<SaveOutcome<T>, String> {
    match r {
        Ok(v) => Ok(SaveOutcome::Saved(v)),
        Err(ServiceError::Validation(e)) => Ok(SaveOutcome::Invalid(e)),
        Err(ServiceError::Conflict(m)) => Ok(SaveOutcome::Conflict(m)),
        Err(e) => Err(message(e)),
    }
}

fn message(e: ServiceError) -> String {
    match e {
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "request failed");
            "internal error; see the server log".into()
        }
        other => other.to_string(),
    }
}

/// One line for the instance block: what a scan found and changed.
pub fn describe_scan(s: &ScanSummary) -> String {
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "{}, {}: {} new, {} back, {} stale",
        plural(s.containers, "container"),
        plural(s.bindings, "port"),
        s.added,
        s.updated,
        s.stale
    );
    for e in &s.errors {
        text.push_str(&format!("; {} failed: {}", e.source, e.message));
    }
    for k in &s.skipped {
        text.push_str(&format!("; {} skipped: {}", k.source, k.message));
    }
    text
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
        ports::list(&self.pool).await.map_err(message)
    }

    async fn save_port(
        &self,
        id: Option<i64>,
        input: serde_json::Value,
    ) -> Result<SaveOutcome<PortEntry>, String> {
        outcome(match id {
            Some(id) => ports::update(&self.pool, id, &input).await,
            None => ports::create(&self.pool, &input).await,
        })
    }

    async fn delete_port(&self, id: i64) -> Result<ActionOutcome, String> {
        Ok(match ports::delete(&self.pool, id).await {
            Ok(()) => ActionOutcome {
                ok: true,
                message: "Removed".into(),
            },
            Err(ServiceError::Conflict(m) | ServiceError::NotFound(m)) => ActionOutcome {
                ok: false,
                message: m,
            },
            Err(e) => return Err(message(e)),
        })
    }

    async fn rename_host(
        &self,
        ip: String,
        nickname: String,
    ) -> Result<SaveOutcome<usize>, String> {
        outcome(ports::rename_host(&self.pool, &ip, &nickname).await)
    }

    async fn list_instances(&self) -> Result<InstanceList, String> {
        Ok(InstanceList {
            now: chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S%.3f")
                .to_string(),
            instances: self.instances.list().await.map_err(message)?,
        })
    }

    async fn save_instance(
        &self,
        id: Option<i64>,
        input: serde_json::Value,
    ) -> Result<SaveOutcome<InstanceView>, String> {
        outcome(match id {
            Some(id) => self.instances.update(id, &input).await,
            None => self.instances.create(&input).await,
        })
    }

    async fn delete_instance(&self, id: i64) -> Result<ActionOutcome, String> {
        let summary = self.instances.delete(id).await.map_err(message)?;
        Ok(ActionOutcome {
            ok: true,
            message: format!(
                "Deleted '{}' and {} discovered ports",
                summary.name, summary.ports_removed
            ),
        })
    }

    async fn deletion_impact(&self, id: i64) -> Result<i64, String> {
        self.instances.deletion_impact(id).await.map_err(message)
    }

    async fn test_instance(
        &self,
        input: serde_json::Value,
    ) -> Result<SaveOutcome<ActionOutcome>, String> {
        outcome(
            self.instances
                .test_unsaved(&input)
                .await
                .map(|t| ActionOutcome {
                    ok: t.ok,
                    message: t.message,
                }),
        )
    }

    async fn scan_instance(&self, id: i64) -> Result<ActionOutcome, String> {
        Ok(match self.scans.scan_now(id).await {
            Ok(summary) => ActionOutcome {
                ok: summary.errors.is_empty(),
                message: describe_scan(&summary),
            },
            Err(ScanError::Failed(m)) => ActionOutcome {
                ok: false,
                message: m,
            },
            Err(e) => ActionOutcome {
                ok: false,
                message: e.to_string(),
            },
        })
    }
}
