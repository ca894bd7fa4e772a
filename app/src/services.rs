//! The server's running services, as one value: the REST handlers get it as axum state, the server
//! functions as Leptos context. Both call the same service functions through it, so adding an
//! operation is one service function plus its two thin callers.

use crate::auth::service::Auth;
use crate::discovery::scheduler::ScanManager;
use crate::events::EventBus;
use crate::instances::InstanceManager;
use leptos::prelude::ServerFnError;
use sqlx::SqlitePool;

#[derive(Clone)]
pub struct Services {
    pub pool: SqlitePool,
    pub instances: InstanceManager,
    pub scans: ScanManager,
    pub events: EventBus,
    pub auth: Auth,
    /// Theme and custom CSS, read by the document shell on every page.
    pub appearance: crate::transfer::appearance::Cache,
    /// One-off host scans started from host panels.
    pub host_scans: crate::hostscan::service::Scans,
}

/// The services, from the server function's context (provided by the router for every request).
pub fn services() -> Result<Services, ServerFnError> {
    leptos::prelude::use_context::<Services>()
        .ok_or_else(|| ServerFnError::new("server services are not available"))
}
