//! One-off host scans (started from a host panel, followed live, their findings added by the user),
//! reachability checks ("Check now"), and the reachability a scheduled host scan records.
//!
//! A one-off scan lives in memory only: it is a question asked now, not configuration. The registry
//! keeps the last [`KEPT`] scans so a page opened later can still read the result, and runs at most
//! [`RUNNING_MAX`] at once.

use super::scanner::{self, Ended, Progress};
use super::{
    describe, CheckSchedule, CheckState, EntryCheck, FoundPort, HostCheck, PortSet, ScanState,
    ScanStatus, CHECK_INTERVAL_KEY,
};
use crate::error::ServiceError;
use crate::events::{EventBus, LiveEvent};
use crate::ports::{PortSpec, Protocol};
use crate::validation::{push_error, validate_host, FieldErrors};
use serde_json::{json, Value};
use sqlx::SqlitePool;
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// One-off scans running at once.
pub const RUNNING_MAX: usize = 4;
/// Finished scans kept for reading.
pub const KEPT: usize = 32;
/// How often a running scan reports its progress to open pages.
const PUBLISH_EVERY: Duration = Duration::from_millis(300);
/// A reachability check's timeout per entry, and how many entries are tried at once.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(1_500);
const CHECK_CONCURRENCY: usize = 64;

const NOW: &str = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

struct Job {
    id: u64,
    address: String,
    total: usize,
    progress: Progress,
    cancel: CancellationToken,
    started: Instant,
    outcome: Mutex<Outcome>,
}

/// Where a scan stands beyond its counters.
#[derive(Clone)]
struct Outcome {
    state: ScanState,
    error: Option<String>,
    /// What the address resolved to.
    resolved: Option<String>,
    /// How long it took, once it ended.
    ended_ms: Option<u64>,
}

impl Job {
    fn state(&self) -> ScanState {
        self.outcome
            .lock()
            .map(|o| o.state)
            .unwrap_or(ScanState::Failed)
    }

    fn finish(&self, state: ScanState, error: Option<String>) {
        if let Ok(mut o) = self.outcome.lock() {
            o.state = state;
            o.error = error;
            o.ended_ms = Some(self.started.elapsed().as_millis() as u64);
        }
    }

    fn status(&self, known: &HashSet<i64>) -> ScanStatus {
        let Outcome {
            state,
            error,
            resolved,
            ended_ms,
        } = self.outcome.lock().map(|o| o.clone()).unwrap_or(Outcome {
            state: ScanState::Failed,
            error: None,
            resolved: None,
            ended_ms: None,
        });
        ScanStatus {
            scan_id: self.id,
            address: self.address.clone(),
            resolved,
            state,
            checked: self.progress.checked(),
            total: self.total,
            found: self
                .progress
                .found()
                .into_iter()
                .map(|p| FoundPort {
                    port_number: p,
                    known: known.contains(&(p as i64)),
                    service: describe(p),
                })
                .collect(),
            error,
            duration_ms: ended_ms.unwrap_or_else(|| self.started.elapsed().as_millis() as u64),
        }
    }
}

/// The one-off scans of this process.
#[derive(Clone, Default)]
pub struct Scans {
    jobs: Arc<Mutex<BTreeMap<u64, Arc<Job>>>>,
    next: Arc<AtomicU64>,
}

fn address_error(address: &str) -> Option<FieldErrors> {
    validate_host(address.trim()).err().map(|e| {
        let mut errors = FieldErrors::new();
        push_error(&mut errors, "address", e);
        errors
    })
}

async fn known_ports(pool: &SqlitePool, address: &str) -> Result<HashSet<i64>, ServiceError> {
    Ok(crate::ports::store::used_numbers(pool, address, Some(Protocol::Tcp)).await?)
}

impl Scans {
    fn job(&self, id: u64) -> Result<Arc<Job>, ServiceError> {
        self.jobs
            .lock()
            .ok()
            .and_then(|j| j.get(&id).cloned())
            .ok_or_else(|| ServiceError::NotFound(format!("scan {id}")))
    }

    /// Starts scanning `address` (`input`: `{"ports", "timeout_ms"?, "concurrency"?}`); progress is
    /// published as `host_scan` events and readable with [`Scans::status`].
    pub async fn start(
        &self,
        pool: &SqlitePool,
        events: &EventBus,
        address: &str,
        input: &Value,
    ) -> Result<ScanStatus, ServiceError> {
        let mut errors = address_error(address).unwrap_or_default();
        let request = super::parse_scan_request(input)
            .map_err(|e| errors.extend(e))
            .ok();
        let (Some(request), true) = (request, errors.is_empty()) else {
            return Err(ServiceError::Validation(errors));
        };
        let address = address.trim().to_string();
        let job = {
            let mut jobs = self
                .jobs
                .lock()
                .map_err(|_| ServiceError::Internal("scan registry poisoned".into()))?;
            let running = jobs
                .values()
                .filter(|j| j.state() == ScanState::Running)
                .count();
            if running >= RUNNING_MAX {
                return Err(ServiceError::Conflict(format!(
                    "{running} scans are running; wait for one to finish or cancel one"
                )));
            }
            // Forget the oldest finished scans beyond what is kept.
            while jobs.len() >= KEPT {
                let Some(oldest) = jobs
                    .iter()
                    .find(|(_, j)| j.state() != ScanState::Running)
                    .map(|(id, _)| *id)
                else {
                    break;
                };
                jobs.remove(&oldest);
            }
            let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
            let job = Arc::new(Job {
                id,
                address: address.clone(),
                total: request.ports.len(),
                progress: Progress::default(),
                cancel: CancellationToken::new(),
                started: Instant::now(),
                outcome: Mutex::new(Outcome {
                    state: ScanState::Running,
                    error: None,
                    resolved: None,
                    ended_ms: None,
                }),
            });
            jobs.insert(id, job.clone());
            job
        };
        tracing::info!(scan = job.id, %address, ports = job.total, "host scan started");
        let (pool, events) = (pool.clone(), events.clone());
        let status = job.status(&HashSet::new());
        tokio::spawn(run(job, request, pool, events));
        Ok(status)
    }

    pub async fn status(&self, pool: &SqlitePool, id: u64) -> Result<ScanStatus, ServiceError> {
        let job = self.job(id)?;
        Ok(job.status(&known_ports(pool, &job.address).await?))
    }

    /// Stops a running scan; what it found until then stays readable.
    pub async fn cancel(&self, pool: &SqlitePool, id: u64) -> Result<ScanStatus, ServiceError> {
        let job = self.job(id)?;
        job.cancel.cancel();
        // The scan task records the end; wait for it briefly so the answer says "cancelled".
        for _ in 0..50 {
            if job.state() != ScanState::Running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(job.status(&known_ports(pool, &job.address).await?))
    }

    /// Adds the found ports (`input`: `{"ports": [..]}`, or every port not yet known when omitted)
    /// as entries of the scanned host, described by their service, in one transaction.
    pub async fn add_found(
        &self,
        pool: &SqlitePool,
        events: &EventBus,
        id: u64,
        input: &Value,
    ) -> Result<ScanStatus, ServiceError> {
        let job = self.job(id)?;
        let found = job.progress.found();
        let wanted: Vec<u16> = match input.get("ports") {
            None | Some(Value::Null) => found.clone(),
            Some(Value::Array(items)) => {
                let mut errors = FieldErrors::new();
                let ports: Vec<u16> = items
                    .iter()
                    .filter_map(|v| {
                        let p = v.as_u64().and_then(|p| u16::try_from(p).ok());
                        match p {
                            Some(p) if found.contains(&p) => Some(p),
                            _ => {
                                push_error(
                                    &mut errors,
                                    "ports",
                                    format!("{v} is not a port this scan found"),
                                );
                                None
                            }
                        }
                    })
                    .collect();
                if !errors.is_empty() {
                    return Err(ServiceError::Validation(errors));
                }
                ports
            }
            Some(_) => {
                let mut errors = FieldErrors::new();
                push_error(&mut errors, "ports", "must be a list of port numbers");
                return Err(ServiceError::Validation(errors));
            }
        };
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let known =
            crate::ports::store::used_numbers(&mut *tx, &job.address, Some(Protocol::Tcp)).await?;
        let mut ids = Vec::new();
        for port in wanted.iter().filter(|p| !known.contains(&(**p as i64))) {
            let spec = PortSpec {
                ip_address: job.address.clone(),
                nickname: None,
                port_number: *port as i64,
                port_protocol: Protocol::Tcp,
                description: describe(*port),
            };
            ids.push(
                crate::ports::store::insert(&mut tx, &spec, &crate::ports::PortSource::Scan, None)
                    .await?,
            );
        }
        record(
            &mut tx,
            &ids.iter()
                .map(|id| (*id, CheckState::Listening))
                .collect::<Vec<_>>(),
        )
        .await?;
        crate::tags::service::auto_run(&mut tx, crate::tags::service::Scope::Ids(&ids)).await?;
        tx.commit().await?;
        if !ids.is_empty() {
            events.publish(LiveEvent::PortsChanged {
                hosts: vec![job.address.clone()],
            });
        }
        Ok(job.status(&known_ports(pool, &job.address).await?))
    }

    /// Cancels every running scan (shutdown).
    pub fn cancel_all(&self) {
        if let Ok(jobs) = self.jobs.lock() {
            for j in jobs.values() {
                j.cancel.cancel();
            }
        }
    }
}

async fn publish(pool: &SqlitePool, events: &EventBus, job: &Job) {
    let known = known_ports(pool, &job.address).await.unwrap_or_default();
    events.publish(LiveEvent::HostScan {
        status: job.status(&known),
    });
}

async fn run(job: Arc<Job>, request: super::ScanRequest, pool: SqlitePool, events: EventBus) {
    let ip = match scanner::resolve(&job.address).await {
        Ok(ip) => ip,
        Err(e) => {
            job.finish(ScanState::Failed, Some(e));
            publish(&pool, &events, &job).await;
            return;
        }
    };
    if let Ok(mut o) = job.outcome.lock() {
        o.resolved = Some(ip.to_string());
    }
    let timeout = Duration::from_millis(request.timeout_ms);
    let scan = scanner::scan(
        ip,
        &request.ports,
        timeout,
        request.concurrency,
        &job.progress,
        &job.cancel,
    );
    tokio::pin!(scan);
    let ended = loop {
        tokio::select! {
            ended = &mut scan => break ended,
            _ = tokio::time::sleep(PUBLISH_EVERY) => publish(&pool, &events, &job).await,
        }
    };
    match ended {
        Ended::Done => job.finish(ScanState::Done, None),
        Ended::Cancelled => job.finish(ScanState::Cancelled, None),
        Ended::Deadline => job.finish(
            ScanState::Done,
            Some("the scan reached its deadline; ports not checked by then are not listed".into()),
        ),
    }
    let found = job.progress.found();
    tracing::info!(scan = job.id, address = %job.address, %ip, found = found.len(),
        checked = job.progress.checked(), ?ended, "host scan ended");
    // What the scan saw is also the reachability of the entries it covered.
    if ended == Ended::Done {
        if let Err(e) = confirm(&pool, &job.address, &request.ports, &found).await {
            tracing::warn!(scan = job.id, error = %e, "could not record reachability");
        }
    }
    publish(&pool, &events, &job).await;
}

/// Writes reachability answers: (entry id, state), stamped now.
async fn record(
    conn: &mut sqlx::SqliteConnection,
    answers: &[(i64, CheckState)],
) -> Result<(), sqlx::Error> {
    if answers.is_empty() {
        return Ok(());
    }
    let rows: Vec<Value> = answers
        .iter()
        .map(|(id, s)| json!([id, s.as_str()]))
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE port SET check_state = json_extract(value, '$[1]'), checked_at = {NOW}
         FROM json_each(?) WHERE port.id = json_extract(value, '$[0]')"
    )))
    .bind(Value::Array(rows).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// After a scan of `address` over `scanned`: its TCP entries on those ports (manual ones too, whose
/// data is never touched) are marked listening when found, not answering otherwise.
pub async fn confirm(
    pool: &SqlitePool,
    address: &str,
    scanned: &PortSet,
    found: &[u16],
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let entries: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, CAST(port_number AS INTEGER) FROM port WHERE ip_address = ? AND port_protocol = 'TCP'",
    )
    .bind(address)
    .fetch_all(&mut *conn)
    .await?;
    let answers: Vec<(i64, CheckState)> = entries
        .into_iter()
        .filter_map(|(id, port)| {
            let port = u16::try_from(port).ok()?;
            scanned.contains(port).then(|| {
                let state = if found.contains(&port) {
                    CheckState::Listening
                } else {
                    CheckState::NotAnswering
                };
                (id, state)
            })
        })
        .collect();
    record(&mut conn, &answers).await
}

/// "Check now": tries every entry of `address` (TCP connect; UDP is recorded as unknown) and stores
/// the answers; the entries' data never changes.
pub async fn check_host(
    pool: &SqlitePool,
    events: &EventBus,
    address: &str,
) -> Result<HostCheck, ServiceError> {
    let address = address.trim();
    let entries = crate::ports::store::by_host(pool, address).await?;
    if entries.is_empty() {
        return Err(ServiceError::NotFound(format!("host {address}")));
    }
    let ip = scanner::resolve(address).await.map_err(|e| {
        let mut errors = FieldErrors::new();
        push_error(&mut errors, "address", e);
        ServiceError::Validation(errors)
    })?;
    use futures::StreamExt;
    let answers: Vec<EntryCheck> = futures::stream::iter(entries)
        .map(|e| async move {
            let state = match (e.port_protocol, u16::try_from(e.port_number)) {
                (Protocol::Tcp, Ok(port)) if port > 0 => {
                    if scanner::probe(SocketAddr::new(ip, port), CHECK_TIMEOUT).await {
                        CheckState::Listening
                    } else {
                        CheckState::NotAnswering
                    }
                }
                (Protocol::Tcp, _) => CheckState::NotAnswering,
                (Protocol::Udp, _) => CheckState::Unknown,
            };
            EntryCheck {
                id: e.id,
                port_number: e.port_number,
                protocol: e.port_protocol,
                state,
            }
        })
        .buffered(CHECK_CONCURRENCY)
        .collect()
        .await;
    let mut conn = pool.acquire().await?;
    record(
        &mut conn,
        &answers.iter().map(|a| (a.id, a.state)).collect::<Vec<_>>(),
    )
    .await?;
    let checked_at: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {NOW}")))
        .fetch_one(&mut *conn)
        .await?;
    events.publish(LiveEvent::PortsChanged {
        hosts: vec![address.to_string()],
    });
    let count = |s: CheckState| answers.iter().filter(|a| a.state == s).count();
    Ok(HostCheck {
        address: address.to_string(),
        checked_at,
        listening: count(CheckState::Listening),
        not_answering: count(CheckState::NotAnswering),
        unknown: count(CheckState::Unknown),
        entries: answers,
    })
}

/// How often every entry is checked in the background (never, unless the user chose otherwise).
pub async fn check_schedule(pool: &SqlitePool) -> Result<CheckSchedule, ServiceError> {
    let stored: Option<String> = sqlx::query_scalar(r#"SELECT value FROM setting WHERE "key" = ?"#)
        .bind(CHECK_INTERVAL_KEY)
        .fetch_optional(pool)
        .await?;
    // A stored value that is not an offered interval reads as "never" (and is fixed on save).
    Ok(stored
        .and_then(|v| super::parse_check_schedule(&json!({ "interval_minutes": v })).ok())
        .unwrap_or_default())
}

pub async fn save_check_schedule(
    pool: &SqlitePool,
    input: &Value,
) -> Result<CheckSchedule, ServiceError> {
    let schedule = super::parse_check_schedule(input).map_err(ServiceError::Validation)?;
    crate::db::put_settings(
        pool,
        &[(CHECK_INTERVAL_KEY, schedule.interval_minutes.to_string())],
    )
    .await?;
    Ok(schedule)
}

/// Checks every host that has entries, one host after another (each bounded by its entries'
/// timeouts); a host whose name does not resolve is skipped with a log line.
pub async fn check_all(pool: &SqlitePool, events: &EventBus) -> Result<usize, ServiceError> {
    let hosts: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT ip_address FROM port ORDER BY ip_address")
            .fetch_all(pool)
            .await?;
    let mut checked = 0;
    for host in hosts {
        match check_host(pool, events, &host).await {
            Ok(c) => checked += c.entries.len(),
            Err(e) => tracing::info!(%host, error = %e, "reachability check skipped"),
        }
    }
    Ok(checked)
}
