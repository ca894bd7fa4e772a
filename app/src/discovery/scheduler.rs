//! The scheduler (scan manager): it owns every trigger of a scan and the scan status.
//!
//! One task per enabled auto-detecting instance scans on the instance's interval; a Docker instance's
//! task also has an event stream (`docker_events`) that wakes it. "Scan now" runs a manual scan. One
//! instance never scans twice at once, a global semaphore limits scans across instances, failures back
//! off, and shutdown is prompt. Instance changes (from the instance manager's change channel) restart or
//! stop the tasks; the manager never touches the task table itself.
//!
//! Wake-ups are coalesced: the event stream calls `Notify::notify_one`, which holds at most one permit,
//! so any number of events during a scan cause exactly one scan after it. Before scanning, the task
//! waits until the events have been quiet for [`QUIET`] (at most [`SETTLE_MAX`] after the first), so a
//! single start is seen within a second. Events that keep coming within [`BURST_WINDOW`] of the last
//! event scan are a burst (a compose file coming up, a host rebooting its containers one by one): the
//! task then waits for [`BURST_QUIET`] of quiet (at most [`BURST_MAX`]), so a burst of any length is a
//! few scans rather than one per container.

use super::model::ScanSummary;
use crate::events::{LiveEvent, ScanTrigger};
use crate::instances::{InstanceChange, InstanceManager, InstanceType, Notice};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, Notify, Semaphore};
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

/// An event-triggered scan waits until events have been quiet this long… (A `docker run` sends the
/// network `connect` when its start begins and `start` when it ends, a few hundred milliseconds
/// apart on a small host: this spans both, so one start is one scan.)
pub const QUIET: Duration = Duration::from_millis(500);
/// …but no longer than this after the first event, so a steady stream still gets scanned.
pub const SETTLE_MAX: Duration = Duration::from_millis(1500);
/// Events within this long of the end of the last event scan belong to the same burst…
pub const BURST_WINDOW: Duration = Duration::from_secs(3);
/// …and wait for a longer quiet spell, capped further out.
pub const BURST_QUIET: Duration = Duration::from_secs(1);
pub const BURST_MAX: Duration = Duration::from_secs(8);

/// A running automatic task: its generation (to tell a replaced task from the current one), its
/// cancellation token (shared with its event stream) and its wake-up.
struct Task {
    generation: u64,
    token: CancellationToken,
    wake: Arc<Notify>,
}

struct Inner {
    instances: InstanceManager,
    host_ip: Option<String>,
    limit: Semaphore,
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    scanning: Arc<Mutex<HashSet<i64>>>,
    /// Instances whose scan waits for a free slot (shown as "queued", not "scanning").
    queued: Arc<Mutex<HashSet<i64>>>,
    /// Running automatic tasks by instance id. Mirrored into `scheduled` for the status.
    tasks: Mutex<HashMap<i64, Task>>,
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

/// The longest a whole scan may take (every environment of a Portainer, every server of a Komodo): a
/// stuck upstream must not hold the instance's scan slot for good.
pub const SCAN_DEADLINE: Duration = Duration::from_secs(300);

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
        let queued = instances.queued_set();
        let scheduled = instances.scheduled_set();
        ScanManager {
            inner: Arc::new(Inner {
                instances,
                host_ip,
                limit: Semaphore::new(concurrency.max(1)),
                locks: Mutex::new(HashMap::new()),
                scanning,
                queued,
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
        let wanted: HashMap<i64, InstanceType> = rows
            .iter()
            .filter(|r| r.instance.enabled && r.instance.auto_detect)
            .map(|r| (r.instance.id, r.instance.instance_type))
            .collect();
        let running: Vec<i64> = self.inner.tasks.lock().unwrap().keys().copied().collect();
        for id in running.iter().filter(|id| !wanted.contains_key(id)) {
            self.stop(*id);
        }
        for (id, kind) in wanted {
            if !running.contains(&id) {
                self.spawn_task(id, kind);
            }
        }
    }

    async fn restart(&self, id: i64) {
        self.stop(id);
        match self.inner.instances.row(id).await {
            Ok(row) if row.instance.enabled && row.instance.auto_detect => {
                self.spawn_task(id, row.instance.instance_type)
            }
            _ => {}
        }
    }

    fn stop(&self, id: i64) {
        let mut tasks = self.inner.tasks.lock().unwrap();
        if let Some(task) = tasks.remove(&id) {
            task.token.cancel();
        }
        self.inner.scheduled.lock().unwrap().remove(&id);
    }

    fn spawn_task(&self, id: i64, kind: InstanceType) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let token = self.inner.shutdown.child_token();
        let wake = Arc::new(Notify::new());
        let generation = self
            .inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        {
            let mut tasks = self.inner.tasks.lock().unwrap();
            let task = Task {
                generation,
                token: token.clone(),
                wake: wake.clone(),
            };
            if let Some(old) = tasks.insert(id, task) {
                old.token.cancel();
            }
            self.inner.scheduled.lock().unwrap().insert(id);
        }
        if kind == InstanceType::Docker {
            self.inner.tracker.spawn(super::docker_events::watch(
                self.inner.instances.clone(),
                id,
                wake.clone(),
                token.clone(),
            ));
        }
        let me = self.clone();
        self.inner.tracker.spawn(async move {
            me.supervise(id, token.clone(), wake).await;
            // The event stream goes with its task.
            token.cancel();
            // Ended by itself (disabled, deleted): forget it unless a newer task replaced it.
            let mut tasks = me.inner.tasks.lock().unwrap();
            if tasks.get(&id).is_some_and(|t| t.generation == generation) {
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

    /// Wakes the automatic task of instance `id` (as a Docker event does); false when it has none.
    pub fn wake(&self, id: i64) -> bool {
        match self.inner.tasks.lock().unwrap().get(&id) {
            Some(task) => {
                task.wake.notify_one();
                true
            }
            None => false,
        }
    }

    /// Runs the instance's loop, and runs it again when it panics (a bug in a client or the reconcile
    /// must not stop an instance's scans for good); the crash is recorded in the instance's status.
    async fn supervise(&self, id: i64, token: CancellationToken, wake: Arc<Notify>) {
        let me = self.clone();
        let (t, w) = (token.clone(), wake.clone());
        let run = move || {
            let (me, t, w) = (me.clone(), t.clone(), w.clone());
            async move { me.auto_loop(id, t, w).await }
        };
        let me = self.clone();
        let crashed = move |message: String| {
            let me = me.clone();
            async move {
                let failed: Result<super::model::ScanSummary, String> = Err(message.clone());
                let _ =
                    crate::instances::store::record_scan(me.inner.instances.pool(), id, &failed, 0)
                        .await;
                me.inner
                    .instances
                    .events()
                    .publish(LiveEvent::ScanFinished {
                        instance_id: id,
                        ok: false,
                        message,
                    });
            }
        };
        restart_on_panic(id, &token, run, crashed).await;
    }

    async fn auto_loop(&self, id: i64, token: CancellationToken, wake: Arc<Notify>) {
        let mut failures = 0u32;
        let mut delay = jitter(Duration::from_secs(2));
        let mut last_event_scan: Option<tokio::time::Instant> = None;
        loop {
            let trigger = tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(delay) => ScanTrigger::Interval,
                _ = wake.notified() => {
                    let in_burst = last_event_scan.is_some_and(|t| t.elapsed() < BURST_WINDOW);
                    let (quiet, max) = if in_burst { (BURST_QUIET, BURST_MAX) } else { (QUIET, SETTLE_MAX) };
                    if !settle(&wake, &token, quiet, max).await {
                        return;
                    }
                    ScanTrigger::Event
                }
            };
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
                r = self.run(id, trigger) => r,
            };
            if trigger == ScanTrigger::Event {
                last_event_scan = Some(tokio::time::Instant::now());
            }
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

    /// The instance's row; only "deleted" is `NotFound` (which ends its task): a database that is
    /// busy or briefly unavailable is a failed scan, retried with backoff.
    async fn row(&self, id: i64) -> Result<crate::instances::store::InstanceRow, ScanError> {
        self.inner.instances.row(id).await.map_err(|e| match e {
            crate::error::ServiceError::NotFound(_) => ScanError::NotFound(id),
            other => ScanError::Failed(format!("database: {other}")),
        })
    }

    /// Runs a scan now (manual "Scan now"): refused while the same instance is scanning.
    pub async fn scan_now(&self, id: i64) -> Result<ScanSummary, ScanError> {
        let row = self.row(id).await?;
        if !row.instance.enabled {
            return Err(ScanError::Disabled(row.instance.name));
        }
        // Spawned: a manual scan finishes (and records its result) even when the browser that asked
        // goes away and its request is dropped.
        let me = self.clone();
        let shutdown = self.inner.shutdown.clone();
        let handle = self.inner.tracker.spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => Err(ScanError::ShuttingDown),
                r = me.run(id, ScanTrigger::Manual) => r,
            }
        });
        handle
            .await
            .unwrap_or_else(|e| Err(ScanError::Failed(format!("the scan crashed: {e}"))))
    }

    async fn run(&self, id: i64, trigger: ScanTrigger) -> Result<ScanSummary, ScanError> {
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
        let queued = ScanningMarker::new(&self.inner.queued, id);
        let _permit = self
            .inner
            .limit
            .acquire()
            .await
            .map_err(|_| ScanError::ShuttingDown)?;
        let marker = ScanningMarker::new(&self.inner.scanning, id);
        drop(queued);
        let row = self.row(id).await?;
        let config = self.inner.instances.effective_config(&row);
        let events = self.inner.instances.events();
        events.publish(LiveEvent::ScanStarted {
            instance_id: id,
            trigger,
        });
        let result = super::scan_instance(
            self.inner.instances.pool(),
            &row,
            config,
            self.inner.host_ip.clone(),
            SCAN_DEADLINE,
        )
        .await;
        drop(marker);
        if let Ok(summary) = &result {
            if summary.added + summary.updated + summary.stale > 0 {
                events.publish(LiveEvent::PortsChanged {
                    hosts: summary.hosts.clone(),
                });
            }
        }
        events.publish(match &result {
            Ok(summary) => LiveEvent::ScanFinished {
                instance_id: id,
                ok: summary.errors.is_empty(),
                message: summary.describe(),
            },
            Err(message) => LiveEvent::ScanFinished {
                instance_id: id,
                ok: false,
                message: message.clone(),
            },
        });
        result.map_err(ScanError::Failed)
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

/// Runs `task` until it returns. A panic (a bug in a client or the reconcile) must not stop an
/// instance's scans for good: it is reported to `crashed` and the task runs again after a backoff.
async fn restart_on_panic<T, TF, C, CF>(
    id: i64,
    token: &CancellationToken,
    mut task: T,
    mut crashed: C,
) where
    T: FnMut() -> TF,
    TF: std::future::Future<Output = ()> + Send + 'static,
    C: FnMut(String) -> CF,
    CF: std::future::Future<Output = ()>,
{
    let mut crashes = 0u32;
    loop {
        match tokio::spawn(task()).await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                crashes += 1;
                let why = e
                    .into_panic()
                    .downcast::<String>()
                    .map(|s| *s)
                    .or_else(|p| p.downcast::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|_| "unknown cause".into());
                let message = format!("the scan task crashed ({why}); restarted");
                tracing::error!(instance = id, crashes, "{message}");
                crashed(message).await;
                let pause = backoff(crashes, Duration::from_secs(300));
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
            Err(_) => return, // cancelled with the runtime
        }
    }
}

/// Waits until wake-ups have been quiet for `quiet`, or `max` has passed; false when cancelled
/// meanwhile.
async fn settle(wake: &Notify, token: &CancellationToken, quiet: Duration, max: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + max;
    loop {
        tokio::select! {
            _ = token.cancelled() => return false,
            _ = tokio::time::sleep(quiet) => return true,
            _ = tokio::time::sleep_until(deadline) => return true,
            _ = wake.notified() => {}
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

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_reported_and_runs_again() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let runs = Arc::new(AtomicU32::new(0));
        let reports = Arc::new(Mutex::new(Vec::new()));
        let token = CancellationToken::new();
        let r = runs.clone();
        let task = move || {
            let r = r.clone();
            async move {
                if r.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("bug number {}", r.load(Ordering::SeqCst));
                }
            }
        };
        let rep = reports.clone();
        let crashed = move |m: String| {
            rep.lock().unwrap().push(m);
            async {}
        };
        restart_on_panic(7, &token, task, crashed).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "ran again after each panic");
        let reports = reports.lock().unwrap().clone();
        assert_eq!(reports.len(), 2);
        assert!(reports[0].contains("crashed (bug number 1)"), "{reports:?}");
    }

    /// Pool exhaustion (or a locked database) while a scan starts is a failed scan, retried with
    /// backoff; only a deleted instance is `NotFound`, which ends the instance's task.
    #[tokio::test]
    async fn a_busy_database_is_a_failed_scan_not_a_deleted_instance() {
        let path = std::env::temp_dir().join(format!("portall-sched-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(300))
            .connect_with(crate::db::connect_options(&path))
            .await
            .unwrap();
        crate::db::MIGRATOR.run(&pool).await.unwrap();
        let instances = InstanceManager::new(pool.clone(), None, crate::events::EventBus::new());
        let v = instances
            .create(
                &serde_json::json!({"type": "docker", "name": "x", "auto_detect": false,
                "config": {"host": "tcp://127.0.0.1:1", "timeout": 5}}),
            )
            .await
            .unwrap();
        let scans = ScanManager::new(instances.clone(), None, 1, false);

        let held = pool.acquire().await.unwrap();
        match scans.scan_now(v.id).await {
            Err(ScanError::Failed(m)) => assert!(m.starts_with("database"), "{m}"),
            other => panic!("expected a failed scan, got {other:?}"),
        }
        drop(held);
        match scans.scan_now(v.id).await {
            Err(ScanError::Failed(m)) => assert!(m.contains("127.0.0.1:1"), "{m}"),
            other => panic!("expected the upstream's error, got {other:?}"),
        }
        instances.delete(v.id).await.unwrap();
        assert_eq!(scans.scan_now(v.id).await, Err(ScanError::NotFound(v.id)));
        pool.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test(start_paused = true)]
    async fn settle_returns_after_a_quiet_spell_or_the_cap() {
        let wake = Notify::new();
        let token = CancellationToken::new();
        let start = tokio::time::Instant::now();
        assert!(settle(&wake, &token, QUIET, SETTLE_MAX).await);
        assert_eq!(
            start.elapsed(),
            QUIET,
            "nothing more came: done after the quiet spell"
        );

        let start = tokio::time::Instant::now();
        let noisy = async {
            loop {
                wake.notify_one();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::select! {
            r = settle(&wake, &token, QUIET, SETTLE_MAX) => assert!(r),
            _ = noisy => unreachable!(),
        }
        assert_eq!(
            start.elapsed(),
            SETTLE_MAX,
            "a steady stream is cut at the cap"
        );

        token.cancel();
        assert!(!settle(&wake, &token, QUIET, SETTLE_MAX).await, "cancelled");
    }

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
