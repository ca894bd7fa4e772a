//! Portall's server: configuration, start-up and shutdown, and the HTTP layer (router, REST API, SSE).
//! The services themselves live in `app` behind its `ssr` feature, so the server functions and the REST
//! handlers call the same functions.
#![recursion_limit = "256"]

pub mod bench;
pub mod bench_hostscan;
pub mod bench_import;
pub mod bench_live;
pub mod config;
pub mod error;
pub mod shutdown;
pub mod telemetry;
pub mod web;

use app::discovery::scheduler::ScanManager;
use app::events::EventBus;
use app::instances::InstanceManager;
use app::services::Services;
use tokio_util::sync::CancellationToken;

/// Opens the database, then serves the app until SIGINT/SIGTERM, then stops everything.
pub async fn run(config: config::Config) -> Result<(), error::StartupError> {
    let pool = app::db::open_for(&config.database_path, config.scan_concurrency).await?;
    let shutdown = CancellationToken::new();
    shutdown::listen_for_signals(shutdown.clone());

    let events = EventBus::new();
    let instances = InstanceManager::new(pool.clone(), config.docker_host.clone(), events.clone());
    let scans = ScanManager::new(
        instances.clone(),
        config.host_ip.clone(),
        config.scan_concurrency,
        !config.no_scan,
    );
    scans.start().await;
    let auth = app::auth::service::Auth::new(pool.clone(), config.security.mode);
    if config.security.mode == app::auth::AuthMode::None && !config.addr.ip().is_loopback() {
        tracing::warn!(
            "PORTALL_AUTH=none on {}: anyone who reaches this address can use Portall \
             (fine behind a proxy that authenticates every request; otherwise use password)",
            config.addr
        );
    }
    purge_sessions_hourly(auth.clone(), shutdown.clone());
    if let Some(backup) = config.backup.clone() {
        back_up_on_schedule(pool.clone(), backup, shutdown.clone());
    }
    let appearance = app::transfer::appearance::Cache::default();
    appearance.set(
        app::transfer::appearance::load(&pool)
            .await
            .unwrap_or_default(),
    );
    check_on_schedule(pool.clone(), events.clone(), shutdown.clone());
    let host_scans = app::hostscan::service::Scans::default();
    let services = Services {
        pool: pool.clone(),
        instances,
        scans: scans.clone(),
        events,
        auth,
        appearance,
        host_scans: host_scans.clone(),
    };
    let state = web::AppState::new(&config, services, shutdown.clone());
    let result = web::serve(&config, state, shutdown.clone()).await;

    shutdown.cancel();
    host_scans.cancel_all();
    scans.shutdown(std::time::Duration::from_millis(500)).await;
    pool.close().await;
    tracing::info!("stopped");
    result
}

/// `portall healthcheck`: 0 when `/healthz` answers 200 within 3 s, else 1 with the reason.
pub async fn healthcheck(url: &str) -> std::process::ExitCode {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let answer = match client {
        Ok(c) => c.get(url).send().await,
        Err(e) => {
            eprintln!("portall healthcheck: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match answer {
        Ok(r) if r.status().is_success() => std::process::ExitCode::SUCCESS,
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            eprintln!("portall healthcheck: {url} answered {status}: {body}");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("portall healthcheck: {url}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `portall reset-auth`: the way back in when the admin password is lost (needs access to the
/// database file, i.e. to the machine or container).
pub async fn reset_auth(config: &config::Config) -> Result<u64, error::StartupError> {
    let pool = app::db::open(&config.database_path).await?;
    let auth = app::auth::service::Auth::new(pool.clone(), config.security.mode);
    let removed = auth
        .reset()
        .await
        .map_err(|e| error::StartupError::Config {
            name: "DATABASE_URL",
            reason: e.to_string(),
        })?;
    pool.close().await;
    Ok(removed)
}

/// Expired sessions are ignored at once; this only keeps the table small.
fn purge_sessions_hourly(auth: app::auth::service::Auth, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every.tick() => {
                    if let Err(e) = auth.purge().await {
                        tracing::warn!(error = %e, "could not purge expired sessions");
                    }
                }
            }
        }
    });
}

/// The background reachability checks (Settings → General): the setting is read every minute, so
/// a change applies without a restart; the first check comes one interval after start-up.
fn check_on_schedule(
    pool: sqlx::SqlitePool,
    events: app::events::EventBus,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            }
            let minutes = match app::hostscan::service::check_schedule(&pool).await {
                Ok(s) => s.interval_minutes,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the reachability schedule");
                    continue;
                }
            };
            if minutes == 0
                || last.elapsed() < std::time::Duration::from_secs(u64::from(minutes) * 60)
            {
                continue;
            }
            last = tokio::time::Instant::now();
            match app::hostscan::service::check_all(&pool, &events).await {
                Ok(n) => tracing::info!(entries = n, "scheduled reachability check done"),
                Err(e) => tracing::warn!(error = %e, "scheduled reachability check failed"),
            }
        }
    });
}

/// `PORTALL_BACKUP_DIR`: a snapshot at start-up and then every interval, the newest `keep` kept.
fn back_up_on_schedule(
    pool: sqlx::SqlitePool,
    backup: config::Backup,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            match app::transfer::service::backup_to(&pool, &backup.dir, backup.keep).await {
                Ok(path) => tracing::info!(path = %path.display(), "scheduled backup written"),
                Err(e) => {
                    tracing::error!(error = %e, dir = %backup.dir.display(), "scheduled backup failed")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(backup.every) => {}
            }
        }
    });
}
