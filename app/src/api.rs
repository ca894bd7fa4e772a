//! Server functions the pages call, and the backend interface the server provides to them.

use crate::model::{PortEntry, SystemHealth};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::{Backend, SharedBackend};

#[cfg(feature = "ssr")]
mod backend {
    use crate::model::{PortEntry, SystemHealth};
    use std::sync::Arc;

    /// What the server functions need from the server (storage, instance and scan managers).
    /// The `server` crate implements it and provides it as Leptos context.
    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn system_health(&self) -> SystemHealth;
        async fn list_ports(&self) -> Result<Vec<PortEntry>, String>;
    }

    pub type SharedBackend = Arc<dyn Backend>;

    pub(crate) fn backend() -> Result<SharedBackend, leptos::prelude::ServerFnError> {
        leptos::prelude::use_context::<SharedBackend>()
            .ok_or_else(|| leptos::prelude::ServerFnError::new("server backend is not available"))
    }
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
