//! The one scan pipeline every instance type shares (Docker, Portainer, Komodo, host scan): fetch (the
//! type's client) → normalise → reconcile.

pub mod docker_events;
pub mod model;
pub mod normalise;
pub mod reconcile;
pub mod scheduler;
pub mod sources;

use crate::instances::store::InstanceRow;
use crate::instances::IntegrationConfig;
use model::{ScanSummary, SourceIssue, SourceOutcome};
use sources::FetchContext;
use sources::IntegrationError;
use sqlx::SqlitePool;
use std::time::Instant;

/// Scans one instance with `config` (its effective configuration, or why the stored one cannot be
/// read) and records the outcome on it; reading the upstream may take at most `deadline`.
/// Returns the summary, or the error that stopped the scan (also recorded).
pub async fn scan_instance(
    pool: &SqlitePool,
    row: &InstanceRow,
    config: Result<IntegrationConfig, IntegrationError>,
    host_ip: Option<String>,
    deadline: std::time::Duration,
) -> Result<ScanSummary, String> {
    let start = Instant::now();
    let ctx = FetchContext {
        instance_name: row.instance.name.clone(),
        public_host: config
            .as_ref()
            .ok()
            .and_then(|c| c.public_host())
            .map(str::to_string),
        host_ip,
    };
    let client = config.and_then(|c| sources::client_for(&c));
    let fetched = match &client {
        Ok(client) => {
            // Reading is bounded as a whole (a client that bounds itself, a host scan, may need
            // longer); writing (the reconcile) is short and never cut off midway.
            let deadline = client.deadline().map_or(deadline, |d| d.max(deadline));
            match tokio::time::timeout(deadline, client.fetch(&ctx)).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the scan did not finish reading within {} s; entries are kept",
                    deadline.as_secs()
                )),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    // What the client connected to itself (a host scan): the reachability of those entries.
    let probed = client.as_ref().ok().and_then(|c| c.probed());
    let result = match fetched {
        Err(e) => Err(e),
        Ok(sources) => {
            match reconcile::reconcile(pool, row.instance.id, row.instance.instance_type, &sources)
                .await
            {
                Err(sqlx::Error::RowNotFound) => {
                    Err("the integration was deleted during the scan".into())
                }
                Err(e) => Err(format!("saving the scan failed: {e}")),
                Ok(counts) => {
                    if let (Some((address, ports)), Some(found)) = (probed, sources.first()) {
                        if let SourceOutcome::Listed(items) = &found.outcome {
                            let open: Vec<u16> = items
                                .iter()
                                .flat_map(|c| c.ports.iter().filter_map(|p| p.public_port))
                                .collect();
                            if let Err(e) =
                                crate::hostscan::service::confirm(pool, address, ports, &open).await
                            {
                                tracing::warn!(instance = row.instance.id, error = %e, "could not record reachability");
                            }
                        }
                    }
                    let issues = |want_failed: bool| {
                        sources
                            .iter()
                            .filter_map(|s| match (&s.outcome, want_failed) {
                                (SourceOutcome::Failed(m), true)
                                | (SourceOutcome::Skipped(m), false) => Some(SourceIssue {
                                    source: s.name.clone(),
                                    message: m.clone(),
                                }),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                    };
                    let mut hosts: Vec<String> = sources
                        .iter()
                        .filter(|s| matches!(s.outcome, SourceOutcome::Listed(_)))
                        .map(|s| s.host.clone())
                        .collect();
                    hosts.sort();
                    hosts.dedup();
                    Ok(ScanSummary {
                        hosts,
                        containers: counts.containers,
                        bindings: counts.bindings,
                        added: counts.added,
                        updated: counts.updated,
                        stale: counts.stale,
                        duration_ms: 0,
                        errors: issues(true),
                        skipped: issues(false),
                        open_ports: probed.is_some(),
                    })
                }
            }
        }
    };
    let duration_ms = start.elapsed().as_millis() as u64;
    let result = result.map(|mut s| {
        s.duration_ms = duration_ms;
        s
    });
    if let Err(e) =
        crate::instances::store::record_scan(pool, row.instance.id, &result, duration_ms).await
    {
        tracing::warn!(instance = row.instance.id, error = %e, "could not record the scan status");
    }
    match &result {
        Ok(s) => tracing::info!(
            instance = row.instance.id, name = %row.instance.name, containers = s.containers, bindings = s.bindings,
            added = s.added, updated = s.updated, stale = s.stale, errors = s.errors.len(), duration_ms,
            "scan finished"
        ),
        Err(e) => {
            tracing::warn!(instance = row.instance.id, name = %row.instance.name, error = %e, duration_ms, "scan failed")
        }
    }
    result
}
