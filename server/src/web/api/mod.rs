//! The JSON HTTP API: instances, ports, hosts, generation, tags and rules, host scans and reachability checks,
//! import/export/backup/purge, appearance, and the legacy
//! compatibility routes.

pub mod auth;
pub mod compat;
pub mod docs;
pub mod generation;
pub mod hosts;
pub mod hostscan;
pub mod instances;
pub mod ports;
pub mod tags;
pub mod transfer;

use super::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every REST route, each documented where it is registered (`#[utoipa::path]` on its handler).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(super::health::healthz))
        .routes(routes!(super::events::stream))
        .merge(auth::routes())
        .merge(instances::routes())
        .merge(ports::routes())
        .merge(hosts::routes())
        .merge(hostscan::routes())
        .merge(generation::routes())
        .merge(tags::routes())
        .merge(transfer::routes())
        .merge(compat::routes())
}
