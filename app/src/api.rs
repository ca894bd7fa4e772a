//! Server functions the pages call, and the backend interface the server provides to them.

use crate::instances::InstanceView;
use crate::model::{PortEntry, SystemHealth};
use crate::validation::FieldErrors;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use backend::{Backend, SharedBackend};

/// The instances and the server's clock (relative times render the same on both sides).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceList {
    pub now: String,
    pub instances: Vec<InstanceView>,
}

/// A save either stores the record or says what is wrong with which field (or why it conflicts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SaveOutcome<T> {
    Saved(T),
    Invalid(FieldErrors),
    Conflict(String),
}

/// The answer of a connection test or a scan, for one line of feedback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub ok: bool,
    pub message: String,
}

#[cfg(feature = "ssr")]
mod backend {
    use super::{ActionOutcome, InstanceList, SaveOutcome};
    use crate::instances::InstanceView;
    use crate::model::{PortEntry, SystemHealth};
    use std::sync::Arc;

    /// What the server functions need from the server (storage, instance and scan managers).
    /// The `server` crate implements it and provides it as Leptos context.
    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn system_health(&self) -> SystemHealth;
        async fn list_ports(&self) -> Result<Vec<PortEntry>, String>;
        async fn save_port(
            &self,
            id: Option<i64>,
            input: serde_json::Value,
        ) -> Result<SaveOutcome<PortEntry>, String>;
        async fn delete_port(&self, id: i64) -> Result<ActionOutcome, String>;
        async fn rename_host(
            &self,
            ip: String,
            nickname: String,
        ) -> Result<SaveOutcome<usize>, String>;
        async fn list_instances(&self) -> Result<InstanceList, String>;
        async fn save_instance(
            &self,
            id: Option<i64>,
            input: serde_json::Value,
        ) -> Result<SaveOutcome<InstanceView>, String>;
        async fn delete_instance(&self, id: i64) -> Result<ActionOutcome, String>;
        async fn deletion_impact(&self, id: i64) -> Result<i64, String>;
        async fn test_instance(
            &self,
            input: serde_json::Value,
        ) -> Result<SaveOutcome<ActionOutcome>, String>;
        async fn scan_instance(&self, id: i64) -> Result<ActionOutcome, String>;
    }

    pub type SharedBackend = Arc<dyn Backend>;

    pub(crate) fn backend() -> Result<SharedBackend, leptos::prelude::ServerFnError> {
        leptos::prelude::use_context::<SharedBackend>()
            .ok_or_else(|| leptos::prelude::ServerFnError::new("server backend is not available"))
    }
}

#[cfg(feature = "ssr")]
fn parse(body: &str) -> Result<serde_json::Value, ServerFnError> {
    serde_json::from_str(body).map_err(|e| ServerFnError::new(format!("malformed form data: {e}")))
}

/// Checks the database and reports what the System card shows.
#[server]
pub async fn system_status() -> Result<SystemHealth, ServerFnError> {
    Ok(backend::backend()?.system_health().await)
}

/// Every Ports-page entry.
#[server]
pub async fn list_ports() -> Result<Vec<PortEntry>, ServerFnError> {
    backend::backend()?
        .list_ports()
        .await
        .map_err(ServerFnError::new)
}

/// Adds (`id` None) or edits a port entry; `body` is the entry as JSON.
#[server]
pub async fn save_port(
    id: Option<i64>,
    body: String,
) -> Result<SaveOutcome<PortEntry>, ServerFnError> {
    backend::backend()?
        .save_port(id, parse(&body)?)
        .await
        .map_err(ServerFnError::new)
}

#[server]
pub async fn delete_port(id: i64) -> Result<ActionOutcome, ServerFnError> {
    backend::backend()?
        .delete_port(id)
        .await
        .map_err(ServerFnError::new)
}

/// Sets the nickname of every entry of one host.
#[server]
pub async fn rename_host(
    ip: String,
    nickname: String,
) -> Result<SaveOutcome<usize>, ServerFnError> {
    backend::backend()?
        .rename_host(ip, nickname)
        .await
        .map_err(ServerFnError::new)
}

#[server]
pub async fn list_instances() -> Result<InstanceList, ServerFnError> {
    backend::backend()?
        .list_instances()
        .await
        .map_err(ServerFnError::new)
}

/// Creates (`id` None) or updates an instance; `body` is the instance as JSON.
#[server]
pub async fn save_instance(
    id: Option<i64>,
    body: String,
) -> Result<SaveOutcome<InstanceView>, ServerFnError> {
    backend::backend()?
        .save_instance(id, parse(&body)?)
        .await
        .map_err(ServerFnError::new)
}

#[server]
pub async fn delete_instance(id: i64) -> Result<ActionOutcome, ServerFnError> {
    backend::backend()?
        .delete_instance(id)
        .await
        .map_err(ServerFnError::new)
}

/// How many entries go with the instance (for the confirmation).
#[server]
pub async fn deletion_impact(id: i64) -> Result<i64, ServerFnError> {
    backend::backend()?
        .deletion_impact(id)
        .await
        .map_err(ServerFnError::new)
}

/// Tests unsaved form values (with `id` in the body, stored secrets fill blank ones).
#[server]
pub async fn test_instance(body: String) -> Result<SaveOutcome<ActionOutcome>, ServerFnError> {
    backend::backend()?
        .test_instance(parse(&body)?)
        .await
        .map_err(ServerFnError::new)
}

#[server]
pub async fn scan_instance(id: i64) -> Result<ActionOutcome, ServerFnError> {
    backend::backend()?
        .scan_instance(id)
        .await
        .map_err(ServerFnError::new)
}
