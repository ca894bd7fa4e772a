//! Docker engine events as a scan trigger: each enabled, auto-detecting Docker instance keeps one
//! `GET /events` stream open (container start/stop/die/destroy/rename, network connect/disconnect) and
//! wakes its scan task on every event. The task debounces (see `scheduler`), so a burst of events is
//! one or two scans, not one per container.
//!
//! The stream lives exactly as long as the instance's scan task (same cancellation token). A dropped
//! stream reconnects with backoff (1 s, 2 s, … 30 s) and, once the engine answers again, wakes the task
//! once to catch up on what happened while it was away. The interval scans go on regardless: events are
//! an accelerator, never the only way a change is found. A stream that has been quiet is reopened every
//! 15 minutes, so a connection that died silently (a NAT or proxy dropping it) is replaced.

use super::sources::docker::DockerClient;
use super::sources::IntegrationError;
use crate::instances::{InstanceManager, IntegrationConfig};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The container and network actions that can change published ports.
pub const CONTAINER_ACTIONS: [&str; 5] = ["start", "stop", "die", "destroy", "rename"];
pub const NETWORK_ACTIONS: [&str; 2] = ["connect", "disconnect"];

/// How long a quiet stream stays open before it is replaced.
const REFRESH: Duration = Duration::from_secs(15 * 60);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before reconnect attempt `failures` (1-based): 1 s, 2 s, 4 s … capped at 30 s.
pub fn reconnect_delay(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(5)).min(MAX_BACKOFF)
}

/// How a stream ended.
enum Ended {
    /// Open for [`REFRESH`] without trouble: reopen at once.
    Refresh,
    /// The engine closed it or it failed: reconnect after a backoff.
    Dropped(String),
}

/// Follows the events of instance `id` until `token` is cancelled or the instance is gone.
pub async fn watch(
    instances: InstanceManager,
    id: i64,
    wake: Arc<Notify>,
    token: CancellationToken,
) {
    let mut failures = 0u32;
    loop {
        let config = match instances.row(id).await {
            Ok(row) => instances.effective_config(&row),
            Err(crate::error::ServiceError::NotFound(_)) => return,
            Err(e) => {
                tracing::warn!(instance = id, error = %e, "cannot read the instance to follow its events");
                failures += 1;
                if sleep_or_cancel(reconnect_delay(failures), &token).await {
                    return;
                }
                continue;
            }
        };
        let ended = tokio::select! {
            _ = token.cancelled() => return,
            ended = follow(&config, &wake, failures > 0) => ended,
        };
        match ended {
            Ended::Refresh => failures = 0,
            Ended::Dropped(reason) => {
                failures += 1;
                let delay = reconnect_delay(failures);
                tracing::info!(instance = id, %reason, retry_in = ?delay, "Docker event stream lost");
                if sleep_or_cancel(delay, &token).await {
                    return;
                }
            }
        }
    }
}

/// True when cancelled during the sleep.
async fn sleep_or_cancel(delay: Duration, token: &CancellationToken) -> bool {
    tokio::select! {
        _ = token.cancelled() => true,
        _ = tokio::time::sleep(delay) => false,
    }
}

fn filters() -> HashMap<String, Vec<String>> {
    HashMap::from([
        (
            "type".to_string(),
            vec!["container".to_string(), "network".to_string()],
        ),
        (
            "event".to_string(),
            CONTAINER_ACTIONS
                .iter()
                .chain(NETWORK_ACTIONS.iter())
                .map(|a| a.to_string())
                .collect(),
        ),
    ])
}

/// Opens one stream and wakes the scan task on each event, until it ends or [`REFRESH`] passes.
async fn follow(
    config: &Result<IntegrationConfig, IntegrationError>,
    wake: &Notify,
    catch_up: bool,
) -> Ended {
    let connected = match config {
        Ok(config) => connect(config).await,
        Err(e) => Err(e.clone()),
    };
    let docker = match connected {
        Ok(d) => d,
        Err(e) => return Ended::Dropped(e.to_string()),
    };
    if catch_up {
        // Events were missed while the engine was away: one scan finds what they would have said.
        wake.notify_one();
    }
    let options = bollard::query_parameters::EventsOptions {
        filters: Some(filters()),
        ..Default::default()
    };
    let mut stream = docker.events(Some(options));
    let opened = Instant::now();
    loop {
        let remaining = REFRESH.saturating_sub(opened.elapsed());
        match tokio::time::timeout(remaining, stream.next()).await {
            Err(_) => return Ended::Refresh,
            Ok(None) => return Ended::Dropped("the engine closed the stream".into()),
            Ok(Some(Err(e))) => return Ended::Dropped(e.to_string()),
            Ok(Some(Ok(event))) => {
                tracing::debug!(action = ?event.action, kind = ?event.typ, "Docker event");
                wake.notify_one();
            }
        }
    }
}

/// A client that has just answered a ping (so "connected" means the engine is really there).
async fn connect(config: &IntegrationConfig) -> Result<bollard::Docker, IntegrationError> {
    let IntegrationConfig::Docker(docker) = config else {
        return Err(IntegrationError::Config(
            "only a Docker engine has an event stream".into(),
        ));
    };
    let client = DockerClient::new(docker, config.request_timeout())?;
    client.reachable().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnects_back_off_up_to_thirty_seconds() {
        let secs: Vec<u64> = (1..=8).map(|n| reconnect_delay(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn the_filter_asks_only_for_what_can_change_ports() {
        let f = filters();
        assert_eq!(f["type"], vec!["container", "network"]);
        assert!(f["event"].contains(&"start".to_string()));
        assert!(f["event"].contains(&"disconnect".to_string()));
        assert!(!f["event"].contains(&"exec_start".to_string()));
    }
}
