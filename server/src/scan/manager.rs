//! The scan manager: one task per enabled auto-detecting instance on its own interval, manual "scan
//! now", no overlapping scans of one instance, a global concurrency limit, backoff after failures,
//! and prompt shutdown. Instance changes restart or stop the tasks.

use super::model::ScanSummary;
use crate::instances::{InstanceChange, InstanceManager, Notice};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why a scan did not run or did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("integration {0} not found")]
    NotFound(i64),
    #[error("'{0}' is disabled; enable it to scan")]
    Disabled(String),
    #[error("'{0}' is already scanning")]
    AlreadyScanning(String),
    #[error("{0}")]
    Failed(String),
    #[error("Portall is shutting down")]
    ShuttingDown,
}

/// Shortest wait after a failed scan, and the first step of the backoff.
const MIN_RETRY: Duration = Duration::from_secs(15);
const FIRST_BACKOFF: Duration = Duration::from_secs(30);

struct Inner {
    instances: InstanceManager,
    host_ip: Option<String>,
    limit: Semaphore,
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    scanning: Arc<Mutex<HashSet<i64>>>,
    /// Running automatic tasks: id → (generation, token). Mirrored into `scheduled` for the status.
    tasks: Mutex<HashMap<i64, (u64, CancellationToken)>>,
    scheduled: Arc<Mutex<HashSet<i64>>>,
    generation: std::sync::atomic::AtomicU64,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    auto: bool,
}

#[derive(Clone)]
pub struct ScanManager {
    inner: Arc<Inner>,
}

/// Up to `max` of jitter, from the clock's sub-second noise (no RNG needed for spreading timers).
fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let max_ms = max.as_millis() as u64;
    if max_ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(nanos % max_ms)
    }
}

/// The wait after the `failures`-th failure in a row: 30 s, 60 s, 120 s… capped by the interval.
pub fn backoff(failures: u32, interval: Duration) -> Duration {
    let step = FIRST_BACKOFF.saturating_mul(1u32 << failures.saturating_sub(1).min(10));
    step.min(interval).max(MIN_RETRY)
}

impl ScanManager {
    /// `auto` false is safe mode: no automatic scans, manual ones still work.
    pub fn new(
        instances: InstanceManager,
        host_ip: Option<String>,
        concurrency: usize,
        auto: bool,
    ) -> Self {
        let scanning = instances.scanning_set();
        let scheduled = instances.scheduled_set();
        ScanManager {
            inner: Arc::new(Inner {
                instances,
                host_ip,
                limit: Semaphore::new(concurrency.max(1)),
                locks: Mutex::new(HashMap::new()),
                scanning,
                tasks: Mutex::new(HashMap::new()),
                scheduled,
                generation: std::sync::atomic::AtomicU64::new(0),
                shutdown: CancellationToken::new(),
                tracker: TaskTracker::new(),
                auto,
            }),
        }
    }

    /// Starts a task for every enabled auto-detecting instance and follows instance changes.
    pub async fn start(&self) {
        if !self.inner.auto {
            tracing::warn!("safe mode (--no-scan): no automatic scans; manual scans still work");
            return;
        }
        let changes = self.inner.instances.subscribe();
        self.resync().await;
        let me = self.clone();
        self.inner
            .tracker
            .spawn(async move { me.follow(changes).await });
    }

    async fn follow(&self, mut changes: broadcast::Receiver<Notice>) {
        let instances = &self.inner.instances;
        loop {
            tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                change = changes.recv() => match change {
                    Ok((seq, InstanceChange::Saved(id))) => {
                        self.restart(id).await;
                        instances.applied(seq);
                    }
                    Ok((seq, InstanceChange::Deleted(id))) => {
                        self.stop(id);
                        instances.applied(seq);
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Everything sent so far is in the database the resync reads.
                        let seq = instances.last_sent();
                        self.resync().await;
                        instances.applied(seq);
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    /// Makes the running tasks match the stored instances.
    async fn resync(&self) {
        let rows = match self.inner.instances.list_rows().await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, "cannot list integrations to schedule scans");
                return;
            }
        };
        let wanted: HashSet<i64> = rows
            .iter()
            .filter(|r| r.instance.enabled && r.instance.auto_detect)
            .map(|r| r.instance.id)
            .collect();
        let running: Vec<i64> = self.inner.tasks.lock().unwrap().keys().copied().collect();
        for id in running.iter().filter(|id| !wanted.contains(id)) {
            self.stop(*id);
        }
        for id in wanted {
            if !running.contains(&id) {
                self.spawn_task(id);
            }
        }
    }

    async fn restart(&self, id: i64) {
        self.stop(id);
        match self.inner.instances.row(id).await {
            Ok(row) if row.instance.enabled && row.instance.auto_detect => self.spawn_task(id),
            _ => {}
        }
    }

    fn stop(&self, id: i64) {
        let mut tasks = self.inner.tasks.lock().unwrap();
        if let Some((_, token)) = tasks.remove(&id) {
            token.cancel();
        }
        self.inner.scheduled.lock().unwrap().remove(&id);
    }

    fn spawn_task(&self, id: i64) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let token = self.inner.shutdown.child_token();
        let generation = self
            .inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        {
            let mut tasks = self.inner.tasks.lock().unwrap();
            if let Some((_, old)) = tasks.insert(id, (generation, token.clone())) {
                old.cancel();
            }
            self.inner.scheduled.lock().unwrap().insert(id);
        }
        let me = self.clone();
        self.inner.tracker.spawn(async move {
            me.auto_loop(id, token).await;
            // Ended by itself (disabled, deleted): forget it unless a newer task replaced it.
            let mut tasks = me.inner.tasks.lock().unwrap();
            if tasks.get(&id).is_some_and(|(g, _)| *g == generation) {
                tasks.remove(&id);
                me.inner.scheduled.lock().unwrap().remove(&id);
            }
        });
    }

    /// Ids of the automatic tasks running now (for status and tests).
    pub fn scheduled(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .inner
            .scheduled
            .lock()
            .unwrap()
            .iter()
            .copied()
            .collect();
        ids.sort();
        ids
    }

    pub fn is_scanning(&self, id: i64) -> bool {
        self.inner.scanning.lock().unwrap().contains(&id)
    }

    async fn auto_loop(&self, id: i64, token: CancellationToken) {
        let mut failures = 0u32;
        let mut delay = jitter(Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            let row = match self.inner.instances.row(id).await {
                Ok(row) => row,
                Err(crate::error::ServiceError::NotFound(_)) => return,
                Err(_) => {
                    delay = MIN_RETRY;
                    continue;
                }
            };
            if !row.instance.enabled || !row.instance.auto_detect {
                return;
            }
            let interval = Duration::from_secs(row.instance.scan_interval.max(1) as u64);
            let outcome = tokio::select! {
                _ = token.cancelled() => return,
                r = self.run(id) => r,
            };
            delay = match outcome {
                Ok(summary) if summary.errors.is_empty() => {
                    failures = 0;
                    interval
                }
                Err(ScanError::AlreadyScanning(_)) => interval,
                Err(ScanError::NotFound(_) | ScanError::Disabled(_) | ScanError::ShuttingDown) => {
                    return
                }
                _ => {
                    failures += 1;
                    backoff(failures, interval)
                }
            } + jitter((interval / 20).min(Duration::from_secs(10)));
        }
    }

    async fn row(&self, id: i64) -> Result<crate::storage::instances::InstanceRow, ScanError> {
        self.inner
            .instances
            .row(id)
            .await
            .map_err(|_| ScanError::NotFound(id))
    }

    /// Runs a scan now (manual "Scan now"): refused while the same instance is scanning.
    pub async fn scan_now(&self, id: i64) -> Result<ScanSummary, ScanError> {
        let row = self.row(id).await?;
        if !row.instance.enabled {
            return Err(ScanError::Disabled(row.instance.name));
        }
        tokio::select! {
            _ = self.inner.shutdown.cancelled() => Err(ScanError::ShuttingDown),
            r = self.run(id) => r,
        }
    }

    async fn run(&self, id: i64) -> Result<ScanSummary, ScanError> {
        let lock = self
            .inner
            .locks
            .lock()
            .unwrap()
            .entry(id)
            .or_default()
            .clone();
        let Ok(_guard) = lock.try_lock_owned() else {
            let name = self
                .inner
                .instances
                .row(id)
                .await
                .map(|r| r.instance.name)
                .unwrap_or_default();
            return Err(ScanError::AlreadyScanning(name));
        };
        let _marker = ScanningMarker::new(&self.inner.scanning, id);
        let _permit = self
            .inner
            .limit
            .acquire()
            .await
            .map_err(|_| ScanError::ShuttingDown)?;
        let row = self.row(id).await?;
        let config = self.inner.instances.effective_config(&row);
        super::scan_instance(
            self.inner.instances.pool(),
            &row,
            &config,
            self.inner.host_ip.clone(),
        )
        .await
        .map_err(ScanError::Failed)
    }

    /// Stops every task and waits (bounded) for them to end.
    pub async fn shutdown(&self, limit: Duration) {
        self.inner.shutdown.cancel();
        self.inner.tracker.close();
        if tokio::time::timeout(limit, self.inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("scan tasks still running after {limit:?}; abandoning them");
        }
    }
}

/// Marks an instance as scanning for as long as it lives.
struct ScanningMarker {
    set: Arc<Mutex<HashSet<i64>>>,
    id: i64,
}

impl ScanningMarker {
    fn new(set: &Arc<Mutex<HashSet<i64>>>, id: i64) -> Self {
        set.lock().unwrap().insert(id);
        ScanningMarker {
            set: set.clone(),
            id,
        }
    }
}

impl Drop for ScanningMarker {
    fn drop(&mut self) {
        self.set.lock().unwrap().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let hour = Duration::from_secs(3600);
        let secs: Vec<u64> = (1..=6).map(|n| backoff(n, hour).as_secs()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960]);
        assert_eq!(backoff(20, hour), hour);
        assert_eq!(backoff(3, Duration::from_secs(60)), Duration::from_secs(60));
        assert_eq!(
            backoff(1, Duration::from_secs(5)),
            MIN_RETRY,
            "never a tight loop"
        );
    }
}
