//! `portall bench-scan`: creates N real containers, then measures the raw container listing against one
//! full instance scan into a fresh database (cold, then warm; cold again with 40 auto-run tagging
//! rules), and the process's peak memory.

use app::instances::InstanceManager;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::Docker;
use futures::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const IMAGE: &str = "portall-test-busybox:1";

async fn ensure_image(docker: &Docker) -> Result<(), String> {
    if docker.inspect_image(IMAGE).await.is_ok() {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("portall-bench-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::copy("/bin/busybox", dir.join("busybox"))
        .map_err(|e| format!("busybox-static is needed (/bin/busybox): {e}"))?;
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\nCMD [\"sleep\", \"86400\"]\n",
    )
    .map_err(|e| e.to_string())?;
    let out = tokio::process::Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args(["build", "-q", "-t", IMAGE])
        .arg(&dir)
        .output()
        .await
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    out.status
        .success()
        .then_some(())
        .ok_or_else(|| String::from_utf8_lossy(&out.stderr).to_string())
}

fn publish(ports: &[&str]) -> HashMap<String, Option<Vec<PortBinding>>> {
    ports
        .iter()
        .map(|p| {
            let binding = PortBinding {
                host_ip: Some(String::new()),
                host_port: Some(String::new()),
            };
            (p.to_string(), Some(vec![binding]))
        })
        .collect()
}

async fn create(docker: &Docker, prefix: &str, n: usize) -> Result<Vec<String>, String> {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i:04}")).collect();
    let results: Vec<Result<String, String>> = futures::stream::iter(names.clone())
        .map(|name| async move {
            let i: usize = name[name.len() - 4..].parse().unwrap_or(0);
            let ports: Vec<&str> = if i.is_multiple_of(2) {
                vec!["80/tcp"]
            } else {
                vec!["80/tcp", "53/udp"]
            };
            let body = ContainerCreateBody {
                image: Some(IMAGE.into()),
                cmd: Some(vec!["sleep".into(), "86400".into()]),
                labels: Some(HashMap::from([(
                    "portall-bench".to_string(),
                    "1".to_string(),
                )])),
                host_config: Some(HostConfig {
                    port_bindings: Some(publish(&ports)),
                    ..Default::default()
                }),
                exposed_ports: Some(ports.iter().map(|p| p.to_string()).collect()),
                ..Default::default()
            };
            let opts = bollard::query_parameters::CreateContainerOptions {
                name: Some(name.clone()),
                ..Default::default()
            };
            docker
                .create_container(Some(opts), body)
                .await
                .map_err(|e| e.to_string())?;
            docker
                .start_container(
                    &name,
                    None::<bollard::query_parameters::StartContainerOptions>,
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(name)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn remove(docker: &Docker, names: &[String]) {
    futures::stream::iter(names)
        .for_each_concurrent(8, |name| async move {
            let opts = bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            };
            let _ = docker.remove_container(name, Some(opts)).await;
        })
        .await;
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The local engine, with the benchmark image built on it.
pub async fn engine() -> Result<Docker, String> {
    let docker = Docker::connect_with_socket_defaults()
        .map_err(|e| e.to_string())?
        .negotiate_version()
        .await
        .map_err(|e| format!("no Docker engine: {e}"))?;
    ensure_image(&docker).await?;
    Ok(docker)
}

/// Runs the benchmark for each container count and prints a table.
pub async fn run(counts: &[usize]) -> Result<(), String> {
    let docker = engine().await?;
    println!("containers | list /containers/json (median of 5) | scan cold (median of 3) | scan warm (median of 5) | cold/list | warm/list | cold with 40 auto-run rules (median of 3; tags added) | bindings | peak RSS");
    for &n in counts {
        let prefix = format!("portall-bench-{}-{n}-", std::process::id());
        let created = create(&docker, &prefix, n).await;
        let names = match created {
            Ok(names) => names,
            Err(e) => {
                remove(
                    &docker,
                    &(0..n)
                        .map(|i| format!("{prefix}{i:04}"))
                        .collect::<Vec<_>>(),
                )
                .await;
                return Err(format!("creating containers: {e}"));
            }
        };
        let result = measure(&docker, n).await;
        remove(&docker, &names).await;
        let (list, cold, warm, bindings, (ruled, tags)) = result?;
        println!(
            "{n:>10} | {:>35.1} ms | {:>21.1} ms | {:>21.1} ms | {:>9.2} | {:>9.2} | {:>34.1} ms ({tags} tags) | {bindings:>8} | {} MiB",
            ms(list),
            ms(cold),
            ms(warm),
            cold.as_secs_f64() / list.as_secs_f64(),
            warm.as_secs_f64() / list.as_secs_f64(),
            ms(ruled),
            peak_rss_kib() / 1024
        );
    }
    Ok(())
}

/// 40 auto-run rules: the five templates (33) and seven of a user's own.
async fn add_rules(pool: &sqlx::SqlitePool) -> Result<(), String> {
    for t in app::tags::service::templates() {
        app::tags::service::apply_template(pool, &t.name)
            .await
            .map_err(|e| format!("{e:?}"))?;
    }
    for i in 0..7 {
        let rule = serde_json::json!({
            "name": format!("own {i}"), "auto_execute": true, "priority": i,
            "conditions": {"operator": "OR", "conditions": [
                {"type": "port_range", "start": 30000 + i * 1000, "end": 30999 + i * 1000},
                {"type": "description_regex", "value": format!(r"^portall-bench-.*{i} \(80/tcp\)$")}]},
            "actions": [{"type": "add_tag", "tag_name": format!("own-{i}")}],
        });
        app::tags::service::create_rule(pool, &rule)
            .await
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

type Figures = (Duration, Duration, Duration, usize, (Duration, i64));

async fn measure(docker: &Docker, n: usize) -> Result<Figures, String> {
    let mut lists = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let opts = bollard::query_parameters::ListContainersOptions {
            all: true,
            ..Default::default()
        };
        let got = docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| e.to_string())?;
        lists.push(start.elapsed());
        if got.len() < n {
            return Err(format!(
                "expected at least {n} containers, the engine lists {}",
                got.len()
            ));
        }
    }
    lists.sort();
    // Cold: a fresh database each time (median of 3); warm: the same scan again (median of 5).
    let mut colds = Vec::new();
    let mut warms = Vec::new();
    let mut ruled = Vec::new();
    let mut tags = 0;
    let mut bindings = 0;
    for round in 0..6 {
        // Rounds 3–5: the same cold scan with 40 auto-run rules in the database.
        let with_rules = round >= 3;
        let dir = std::env::temp_dir().join(format!(
            "portall-bench-db-{}-{n}-{round}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let pool = app::db::open(&dir.join("bench.db"))
            .await
            .map_err(|e| e.to_string())?;
        if with_rules {
            add_rules(&pool).await?;
        }
        let manager = InstanceManager::new(pool.clone(), None, app::events::EventBus::new());
        let view = manager
            .create(&serde_json::json!({"type": "docker", "name": "bench", "auto_detect": false, "config": {"public_host": "192.0.2.1"}}))
            .await
            .map_err(|e| format!("{e:?}"))?;
        let row = manager.row(view.id).await.map_err(|e| format!("{e:?}"))?;
        let config = manager.effective_config(&row).map_err(|e| e.to_string())?;
        let scan = || {
            app::discovery::scan_instance(
                &pool,
                &row,
                Ok(config.clone()),
                None,
                app::discovery::scheduler::SCAN_DEADLINE,
            )
        };
        let start = Instant::now();
        let first = scan().await?;
        if with_rules {
            ruled.push(start.elapsed());
            tags = sqlx::query_scalar("SELECT COUNT(*) FROM port_tag")
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            if tags == 0 {
                return Err("the auto-run rules tagged nothing".into());
            }
        } else {
            colds.push(start.elapsed());
        }
        bindings = first.bindings;
        if round == 0 {
            for _ in 0..5 {
                let start = Instant::now();
                scan().await?;
                warms.push(start.elapsed());
            }
        }
        pool.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    colds.sort();
    warms.sort();
    ruled.sort();
    let (cold, warm) = (colds[1], warms[2]);
    Ok((lists[2], cold, warm, bindings, (ruled[1], tags)))
}
