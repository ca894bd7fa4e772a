//! The server functions of host scanning and reachability: thin callers of `hostscan::service`, as
//! the REST API is (`/api/hosts/{address}/scan`, `/api/scans/{id}`, `/api/hosts/{address}/check`).

use super::{CheckSchedule, HostCheck, ScanStatus};
use crate::api::SaveOutcome;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::server;

/// Starts a one-off scan of `address` (`body`: `{"ports", "timeout_ms"?}`).
#[server]
pub async fn start_host_scan(
    address: String,
    body: String,
) -> Result<SaveOutcome<ScanStatus>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(
        s.host_scans
            .start(&s.pool, &s.events, &address, &input)
            .await,
    )
}

#[server]
pub async fn host_scan_status(scan_id: u64) -> Result<ScanStatus, ServerFnError> {
    let s = server::services()?;
    s.host_scans
        .status(&s.pool, scan_id)
        .await
        .map_err(server::failure)
}

#[server]
pub async fn cancel_host_scan(scan_id: u64) -> Result<ScanStatus, ServerFnError> {
    let s = server::services()?;
    s.host_scans
        .cancel(&s.pool, scan_id)
        .await
        .map_err(server::failure)
}

/// Adds found ports as entries (`ports` None: every one not yet known).
#[server]
pub async fn add_scanned_ports(
    scan_id: u64,
    ports: Option<Vec<u16>>,
) -> Result<SaveOutcome<ScanStatus>, ServerFnError> {
    let s = server::services()?;
    let input = serde_json::json!({ "ports": ports });
    server::outcome(
        s.host_scans
            .add_found(&s.pool, &s.events, scan_id, &input)
            .await,
    )
}

/// "Check now": whether each entry of `address` answers.
#[server]
pub async fn check_host(address: String) -> Result<SaveOutcome<HostCheck>, ServerFnError> {
    let s = server::services()?;
    server::outcome(super::service::check_host(&s.pool, &s.events, &address).await)
}

#[server]
pub async fn get_check_schedule() -> Result<CheckSchedule, ServerFnError> {
    let s = server::services()?;
    super::service::check_schedule(&s.pool)
        .await
        .map_err(server::failure)
}

/// Saves how often every entry is checked in the background (`body`: `{"interval_minutes"}`).
#[server]
pub async fn save_check_schedule(
    body: String,
) -> Result<SaveOutcome<CheckSchedule>, ServerFnError> {
    let s = server::services()?;
    let input = server::parse(&body)?;
    server::outcome(super::service::save_check_schedule(&s.pool, &input).await)
}
