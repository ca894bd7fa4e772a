//! The instance manager: CRUD with the shared validation, name generation, the effective configuration
//! each client gets, connection tests, and change events for the scan manager.

use crate::db::error::StoreError;
use crate::discovery::sources::{self, IntegrationError, TestReport};
use crate::error::ServiceError;
use crate::events::{EventBus, LiveEvent};
use crate::instances::store::{self as store, InstanceRow};
use crate::instances::{
    generate_name, redact_config, validate_instance, InstanceState, InstanceStatus, InstanceView,
    IntegrationConfig,
};
use serde::Serialize;
use serde_json::Value;
use sqlx::SqlitePool;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// The instance whose Docker host `DOCKER_HOST` overrides, as the legacy variable did.
pub const DEFAULT_DOCKER_NAME: &str = "Default Docker";

/// What changed, for whoever runs scans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceChange {
    Saved(i64),
    Deleted(i64),
}

/// A change with its sequence number; the follower acknowledges it with [`InstanceManager::applied`].
pub type Notice = (u64, InstanceChange);

/// How long a save waits for the scan manager to act on it, so its answer shows the new schedule.
const APPLY_WAIT: Duration = Duration::from_secs(2);

/// The answer of a connection test.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TestOutcome {
    pub ok: bool,
    pub message: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

impl From<Result<TestReport, IntegrationError>> for TestOutcome {
    fn from(r: Result<TestReport, IntegrationError>) -> Self {
        match r {
            Ok(report) => TestOutcome {
                ok: true,
                message: report.message,
                details: report.details,
            },
            Err(e) => TestOutcome {
                ok: false,
                message: e.to_string(),
                details: Value::Null,
            },
        }
    }
}

/// What a deletion removed.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DeleteSummary {
    pub id: i64,
    pub name: String,
    pub ports_removed: u64,
}

#[derive(Clone)]
pub struct InstanceManager {
    pool: SqlitePool,
    events: EventBus,
    docker_host_override: Option<String>,
    changes: broadcast::Sender<Notice>,
    /// The last change sent, and the last one the follower has acted on.
    sent: Arc<AtomicU64>,
    applied: Arc<watch::Sender<u64>>,
    /// Instances with a scan under way (kept by the scan manager).
    scanning: Arc<Mutex<HashSet<i64>>>,
    /// Instances whose scan waits for a slot (kept by the scan manager).
    queued: Arc<Mutex<HashSet<i64>>>,
    /// Instances with an automatic scan task (kept by the scan manager).
    scheduled: Arc<Mutex<HashSet<i64>>>,
    /// Connection tests under way: at most [`PARALLEL_TESTS`], so a page (or a script) pressing "Test"
    /// cannot turn Portall into a connection flood.
    tests: Arc<tokio::sync::Semaphore>,
}

/// Connection tests run at once.
const PARALLEL_TESTS: usize = 4;

fn not_found(id: i64) -> impl FnOnce(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::NotFound => ServiceError::NotFound(format!("integration {id}")),
        other => other.into(),
    }
}

impl InstanceManager {
    pub fn new(pool: SqlitePool, docker_host_override: Option<String>, events: EventBus) -> Self {
        let (changes, _) = broadcast::channel(64);
        Self {
            pool,
            events,
            docker_host_override,
            changes,
            sent: Arc::default(),
            applied: Arc::new(watch::Sender::new(0)),
            scanning: Arc::default(),
            queued: Arc::default(),
            scheduled: Arc::default(),
            tests: Arc::new(tokio::sync::Semaphore::new(PARALLEL_TESTS)),
        }
    }

    pub fn scanning_set(&self) -> Arc<Mutex<HashSet<i64>>> {
        self.scanning.clone()
    }

    pub fn queued_set(&self) -> Arc<Mutex<HashSet<i64>>> {
        self.queued.clone()
    }

    pub fn scheduled_set(&self) -> Arc<Mutex<HashSet<i64>>> {
        self.scheduled.clone()
    }

    pub async fn list_rows(&self) -> Result<Vec<InstanceRow>, ServiceError> {
        Ok(store::list(&self.pool).await?)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.changes.subscribe()
    }

    /// The sequence number of the last change sent.
    pub fn last_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// The follower has acted on every change up to `seq`.
    pub fn applied(&self, seq: u64) {
        self.applied.send_if_modified(|v| {
            let newer = seq > *v;
            if newer {
                *v = seq;
            }
            newer
        });
    }

    /// Sends the change and, when someone follows changes, waits (briefly) until it has acted on it.
    async fn notify(&self, change: InstanceChange) {
        let (InstanceChange::Saved(id) | InstanceChange::Deleted(id)) = change;
        self.events
            .publish(LiveEvent::InstancesChanged { instance_id: id });
        let seq = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        // Nobody listening (safe mode, tests) is fine.
        if self.changes.send((seq, change)).is_err() {
            return;
        }
        let mut applied = self.applied.subscribe();
        if tokio::time::timeout(APPLY_WAIT, applied.wait_for(|v| *v >= seq))
            .await
            .is_err()
        {
            tracing::warn!(seq, "the scan manager has not acted on a change yet");
        }
    }

    /// The live event bus (scans publish their progress on it).
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The configuration a client uses: the stored one, typed, with `DOCKER_HOST` applied to
    /// "Default Docker".
    pub fn effective_config(
        &self,
        row: &InstanceRow,
    ) -> Result<IntegrationConfig, IntegrationError> {
        let mut config = IntegrationConfig::parse(row.instance.instance_type, &row.instance.config)
            .map_err(IntegrationError::Config)?;
        if let (Some(host), IntegrationConfig::Docker(docker)) =
            (&self.docker_host_override, &mut config)
        {
            if row.instance.name == DEFAULT_DOCKER_NAME {
                docker.host = host.clone();
            }
        }
        Ok(config)
    }

    pub fn view(&self, row: &InstanceRow) -> InstanceView {
        let scanning = self
            .scanning
            .lock()
            .map(|s| s.contains(&row.instance.id))
            .unwrap_or(false);
        let queued = self
            .queued
            .lock()
            .map(|s| s.contains(&row.instance.id))
            .unwrap_or(false);
        let state = if scanning {
            InstanceState::Scanning
        } else if queued {
            InstanceState::Queued
        } else if !row.instance.enabled {
            InstanceState::Disabled
        } else if row.record.last_scan_at.is_none() {
            InstanceState::Never
        } else if row.record.last_error.is_some() {
            // Recorded in one statement: a partial scan's success time is its scan time.
            if row.record.last_success_at == row.record.last_scan_at {
                InstanceState::Partial
            } else {
                InstanceState::Error
            }
        } else {
            InstanceState::Ok
        };
        InstanceView {
            id: row.instance.id,
            name: row.instance.name.clone(),
            instance_type: row.instance.instance_type,
            enabled: row.instance.enabled,
            auto_detect: row.instance.auto_detect,
            scan_interval: row.instance.scan_interval,
            config: redact_config(row.instance.instance_type, &row.instance.config),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
            status: InstanceStatus {
                state,
                record: row.record.clone(),
                auto_scan: self
                    .scheduled
                    .lock()
                    .map(|s| s.contains(&row.instance.id))
                    .unwrap_or(false),
            },
        }
    }

    pub async fn list(&self) -> Result<Vec<InstanceView>, ServiceError> {
        Ok(store::list(&self.pool)
            .await?
            .iter()
            .map(|r| self.view(r))
            .collect())
    }

    pub async fn row(&self, id: i64) -> Result<InstanceRow, ServiceError> {
        store::get(&self.pool, id).await.map_err(not_found(id))
    }

    pub async fn get(&self, id: i64) -> Result<InstanceView, ServiceError> {
        Ok(self.view(&self.row(id).await?))
    }

    async fn other_names(&self, except: Option<i64>) -> Result<Vec<String>, ServiceError> {
        Ok(store::names(&self.pool)
            .await?
            .into_iter()
            .filter(|(id, _)| Some(*id) != except)
            .map(|(_, n)| n)
            .collect())
    }

    pub async fn create(&self, input: &Value) -> Result<InstanceView, ServiceError> {
        let others = self.other_names(None).await?;
        let mut spec = validate_instance(input, None, &others).map_err(ServiceError::Validation)?;
        if spec.name.is_empty() {
            spec.name = generate_name(&spec.config, &others);
        }
        let id = store::insert(&self.pool, &spec).await?;
        tracing::info!(id, name = %spec.name, r#type = spec.instance_type().as_str(), "integration created");
        self.notify(InstanceChange::Saved(id)).await;
        self.get(id).await
    }

    pub async fn update(&self, id: i64, input: &Value) -> Result<InstanceView, ServiceError> {
        let row = self.row(id).await?;
        let others = self.other_names(Some(id)).await?;
        let spec = validate_instance(input, Some(&row.instance), &others)
            .map_err(ServiceError::Validation)?;
        store::update(&self.pool, id, &spec)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound(format!("integration {id}")),
                other => other.into(),
            })?;
        tracing::info!(id, name = %spec.name, "integration updated");
        self.notify(InstanceChange::Saved(id)).await;
        self.get(id).await
    }

    /// How many entries would go with the instance (for the confirmation prompt).
    pub async fn deletion_impact(&self, id: i64) -> Result<i64, ServiceError> {
        self.row(id).await?;
        Ok(store::exclusive_port_count(&self.pool, id).await?)
    }

    pub async fn delete(&self, id: i64) -> Result<DeleteSummary, ServiceError> {
        let row = self.row(id).await?;
        let ports_removed = store::delete(&self.pool, id).await.map_err(not_found(id))?;
        tracing::info!(id, name = %row.instance.name, ports_removed, "integration deleted");
        self.notify(InstanceChange::Deleted(id)).await;
        Ok(DeleteSummary {
            id,
            name: row.instance.name,
            ports_removed,
        })
    }

    /// Tests a saved instance's connection.
    pub async fn test_saved(&self, id: i64) -> Result<TestOutcome, ServiceError> {
        let row = self.row(id).await?;
        Ok(match self.effective_config(&row) {
            Ok(config) => self.test_config(&config).await,
            Err(e) => Err(e).into(),
        })
    }

    /// Tests unsaved form values. With `id`, omitted secrets come from that stored instance.
    /// Only the connection fields are validated; the name does not matter here.
    pub async fn test_unsaved(&self, input: &Value) -> Result<TestOutcome, ServiceError> {
        let existing = match input.get("id").and_then(Value::as_i64) {
            Some(id) => Some(self.row(id).await?.instance),
            None => None,
        };
        let spec = match validate_instance(input, existing.as_ref(), &[]) {
            Ok(spec) => spec,
            Err(errors) => {
                let relevant: crate::validation::FieldErrors = errors
                    .into_iter()
                    .filter(|(k, _)| k.starts_with("config") || k == "type" || k == "_body")
                    .collect();
                if !relevant.is_empty() {
                    return Err(ServiceError::Validation(relevant));
                }
                let mut input = input.clone();
                if let Some(o) = input.as_object_mut() {
                    o.retain(|k, _| k == "type" || k == "config");
                }
                validate_instance(&input, existing.as_ref(), &[])
                    .map_err(ServiceError::Validation)?
            }
        };
        Ok(self.test_config(&spec.config).await)
    }

    async fn test_config(&self, config: &IntegrationConfig) -> TestOutcome {
        let _permit = self.tests.acquire().await.ok();
        match sources::client_for(config) {
            Ok(client) => client.test().await.into(),
            Err(e) => Err(e).into(),
        }
    }
}
