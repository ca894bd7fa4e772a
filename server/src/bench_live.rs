//! `portall bench-live`: how fast Portall sees what happens on a Docker engine, through the real HTTP
//! server in this process. Prints three figures:
//! - latency: `start` of a container publishing a port → its entry in `GET /api/ports` (median and
//!   worst of N runs; the instance scans hourly, so only the event stream can explain it);
//! - a burst: M containers started at once → how many event-triggered scans that caused;
//! - idle: CPU time used over 10 s with 10 auto-scanning Docker instances and their event streams open.

use crate::bench::{ms, IMAGE};
use crate::config::Config;
use app::discovery::scheduler::ScanManager;
use app::events::{EventBus, LiveEvent, ScanTrigger};
use app::instances::InstanceManager;
use app::services::Services;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::Docker;
use futures::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const HOST: &str = "192.0.2.90";

struct Bench {
    docker: Docker,
    base: String,
    http: reqwest::Client,
    events: EventBus,
    instance: i64,
    prefix: String,
    names: Vec<String>,
}

/// Seconds of CPU (user + system) this process has used.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}

impl Bench {
    async fn create(&mut self, name: &str, port: Option<u16>) -> Result<String, String> {
        let full = format!("{}{name}", self.prefix);
        let binding = PortBinding {
            host_ip: Some(String::new()),
            host_port: Some(port.map(|p| p.to_string()).unwrap_or_default()),
        };
        let body = ContainerCreateBody {
            image: Some(IMAGE.into()),
            cmd: Some(vec!["sleep".into(), "86400".into()]),
            labels: Some(HashMap::from([("portall-bench".into(), "1".into())])),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([("80/tcp".into(), Some(vec![binding]))])),
                ..Default::default()
            }),
            exposed_ports: Some(vec!["80/tcp".into()]),
            ..Default::default()
        };
        let opts = bollard::query_parameters::CreateContainerOptions {
            name: Some(full.clone()),
            ..Default::default()
        };
        self.docker
            .create_container(Some(opts), body)
            .await
            .map_err(|e| e.to_string())?;
        self.names.push(full.clone());
        Ok(full)
    }

    async fn start(&self, full: &str) -> Result<(), String> {
        self.docker
            .start_container(
                full,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| e.to_string())
    }

    /// The published host ports of the live entries whose description starts with the prefix.
    async fn visible(&self) -> Result<Vec<i64>, String> {
        let list: serde_json::Value = self
            .http
            .get(format!("{}/api/ports", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        Ok(list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| {
                        e["description"]
                            .as_str()
                            .is_some_and(|d| d.starts_with(&self.prefix))
                            && e["discovered_by"]
                                .as_array()
                                .is_some_and(|d| d.iter().any(|d| d["seen"] == true))
                    })
                    .filter_map(|e| e["port_number"].as_i64())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn cleanup(&self) {
        futures::stream::iter(&self.names)
            .for_each_concurrent(8, |name| async move {
                let opts = bollard::query_parameters::RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                };
                let _ = self.docker.remove_container(name, Some(opts)).await;
            })
            .await;
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

pub async fn run(runs: usize, burst: usize) -> Result<(), String> {
    let docker = crate::bench::engine().await?;
    let dir = std::env::temp_dir().join(format!("portall-bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let pool = app::db::open(&dir.join("live.db"))
        .await
        .map_err(|e| e.to_string())?;
    let events = EventBus::new();
    let instances = InstanceManager::new(pool.clone(), None, events.clone());
    let scans = ScanManager::new(instances.clone(), None, 8, true);
    scans.start().await;
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let config = Config {
        database_path: dir.join("live.db"),
        addr,
        host_ip: None,
        docker_host: None,
        site_root: PathBuf::from("target/site"),
        no_scan: false,
        scan_concurrency: 8,
        security: crate::config::Security::open(),
        max_connections: 64,
        idle_timeout: Duration::from_secs(60),
        backup: None,
    };
    let services = Services {
        pool: pool.clone(),
        instances: instances.clone(),
        scans: scans.clone(),
        events: events.clone(),
        auth: app::auth::service::Auth::new(pool.clone(), app::auth::AuthMode::None),
        appearance: Default::default(),
        host_scans: Default::default(),
    };
    let router = crate::web::router(crate::web::AppState::new(
        &config,
        services,
        shutdown.clone(),
    ));
    let stop = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
    });

    let mut finished = events.subscribe();
    let view = instances
        .create(
            &serde_json::json!({"type": "docker", "name": "bench-live", "auto_detect": true,
            "scan_interval": 3600, "config": {"public_host": HOST}}),
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    // The first scan (at start-up of the task) before measuring.
    loop {
        match tokio::time::timeout(Duration::from_secs(30), finished.recv()).await {
            Ok(Ok(LiveEvent::ScanFinished { instance_id, .. })) if instance_id == view.id => break,
            Ok(Ok(_)) => {}
            _ => return Err("the first scan did not finish within 30 s".into()),
        }
    }
    let mut bench = Bench {
        docker,
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        events: events.clone(),
        instance: view.id,
        prefix: format!("portall-bench-live-{}-", std::process::id()),
        names: Vec::new(),
    };
    let result = measure(&mut bench, runs, burst, &instances).await;
    bench.cleanup().await;
    shutdown.cancel();
    scans.shutdown(Duration::from_millis(500)).await;
    let _ = server.await;
    pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(
    b: &mut Bench,
    runs: usize,
    burst: usize,
    instances: &InstanceManager,
) -> Result<(), String> {
    // Latency: one container at a time, time from its start to its entry in the API.
    let mut latencies = Vec::new();
    let mut start_calls = Vec::new();
    for i in 0..runs {
        let port = free_port()?;
        let full = b.create(&format!("one{i:02}"), Some(port)).await?;
        let start = Instant::now();
        b.start(&full).await?;
        start_calls.push(start.elapsed());
        loop {
            if b.visible().await?.contains(&(port as i64)) {
                latencies.push(start.elapsed());
                break;
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("run {i}: the entry did not appear within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the task leave its burst window so each run starts from quiet.
        tokio::time::sleep(Duration::from_millis(3500)).await;
    }
    latencies.sort();
    start_calls.sort();
    println!(
        "docker start → entry in GET /api/ports ({runs} runs): median {:.0} ms, worst {:.0} ms (the engine's start call alone: median {:.0} ms)",
        ms(latencies[latencies.len() / 2]),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        ms(start_calls[start_calls.len() / 2])
    );

    // Burst: create them all first, then start them all at once.
    let mut fulls = Vec::new();
    for i in 0..burst {
        fulls.push(b.create(&format!("burst{i:03}"), None).await?);
    }
    let before = b.visible().await?.len();
    let mut rx = b.events.subscribe();
    let start = Instant::now();
    let started: Vec<Result<(), String>> = futures::stream::iter(&fulls)
        .map(|f| b.start(f))
        .buffer_unordered(16)
        .collect()
        .await;
    started.into_iter().collect::<Result<Vec<()>, String>>()?;
    let all_started = start.elapsed();
    let mut all_visible = None;
    while start.elapsed() < Duration::from_secs(60) {
        if b.visible().await?.len() >= before + burst {
            all_visible = Some(start.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The trailing debounced scan, if any, then count.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut scans = 0;
    while let Ok(e) = rx.try_recv() {
        if let LiveEvent::ScanStarted {
            instance_id,
            trigger: ScanTrigger::Event,
        } = e
        {
            scans += usize::from(instance_id == b.instance);
        }
    }
    println!(
        "{burst} containers started at once (all started after {:.0} ms): {scans} event-triggered scans, all visible after {}",
        ms(all_started),
        all_visible
            .map(|d| format!("{:.0} ms", ms(d)))
            .unwrap_or_else(|| "— (not within 60 s)".into())
    );

    // Idle: 10 auto-scanning Docker instances with their event streams open, nothing happening.
    for i in 0..9 {
        instances
            .create(&serde_json::json!({"type": "docker", "name": format!("idle-{i}"), "auto_detect": true,
                "scan_interval": 3600, "config": {"public_host": format!("192.0.2.{}", 100 + i)}}))
            .await
            .map_err(|e| format!("{e:?}"))?;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let cpu = cpu_seconds();
    let window = Duration::from_secs(10);
    tokio::time::sleep(window).await;
    let used = cpu_seconds() - cpu;
    println!(
        "idle with 10 Docker instances and their event streams open: {:.2} s CPU in {} s ({:.2} %)",
        used,
        window.as_secs(),
        used / window.as_secs_f64() * 100.0
    );
    Ok(())
}
