//! Portall's server: configuration, storage, the web app and its REST API.
#![recursion_limit = "256"]

pub mod backend;
pub mod bench;
pub mod config;
pub mod error;
pub mod instances;
pub mod integrations;
pub mod ports;
pub mod scan;
pub mod shutdown;
pub mod storage;
pub mod telemetry;
pub mod web;

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Opens the database, then serves the app until SIGINT/SIGTERM, then stops everything.
pub async fn run(config: config::Config) -> Result<(), error::StartupError> {
    let pool = storage::open(&config.database_path).await?;
    let shutdown = CancellationToken::new();
    shutdown::listen_for_signals(shutdown.clone());

    let instances = instances::InstanceManager::new(pool.clone(), config.docker_host.clone());
    let scans = scan::manager::ScanManager::new(
        instances.clone(),
        config.host_ip.clone(),
        config.scan_concurrency,
        !config.no_scan,
    );
    scans.start().await;
    let backend: app::api::SharedBackend = Arc::new(backend::ServerBackend::new(
        pool.clone(),
        instances.clone(),
        scans.clone(),
    ));
    let state = web::AppState::new(&config, pool.clone(), instances, scans.clone(), backend);
    let result = web::serve(&config, state, shutdown.clone()).await;

    shutdown.cancel();
    scans.shutdown(std::time::Duration::from_millis(500)).await;
    pool.close().await;
    tracing::info!("stopped");
    result
}
