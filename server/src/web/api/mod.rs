//! The JSON HTTP API: instances, ports, and the legacy compatibility routes.

pub mod auth;
pub mod compat;
pub mod instances;
pub mod ports;

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(instances::routes())
        .merge(ports::routes())
        .merge(compat::routes())
}
