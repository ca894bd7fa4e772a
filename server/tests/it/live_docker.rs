//! Live updates: Docker events trigger scans (debounced), the event stream survives the engine going
//! away, and `GET /api/events` pushes what changed. The instances scan hourly, so only events can
//! explain an entry showing up within the test's limits.

use crate::scan_docker::entries;
use crate::support::api::Api;
use crate::support::docker::Containers;
use crate::support::events::EventStream;
use crate::support::portall::{free_port, Portall};
use crate::support::upstream::SeveredFront;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Creates an auto-scanning Docker instance (hourly) and waits for its first scan to finish.
async fn watched_instance(api: &Api<'_>, events: &mut EventStream, host: &str, name: &str) -> i64 {
    let (s, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": name, "auto_detect": true, "scan_interval": 3600,
                   "config": {"host": host, "public_host": "192.0.2.80"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    let id = inst["id"].as_i64().unwrap();
    events
        .until(Duration::from_secs(20), |name, v| {
            name == "scan_finished" && v["instance_id"] == id
        })
        .await;
    id
}

/// Waits until the entries with `prefix` satisfy `ok`, polling the API; panics after `limit`.
async fn wait_for<T: std::fmt::Debug>(
    limit: Duration,
    mut probe: impl AsyncFnMut() -> T,
    ok: impl Fn(&T) -> bool,
) -> T {
    let start = Instant::now();
    loop {
        let v = probe().await;
        if ok(&v) {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "not reached within {limit:?}: {v:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn event_scans(events: &[(String, Value)], id: i64) -> usize {
    events
        .iter()
        .filter(|(n, v)| n == "scan_started" && v["instance_id"] == id && v["trigger"] == "event")
        .count()
}

#[tokio::test]
async fn a_started_container_appears_turns_stale_and_comes_back_through_events() {
    let mut c = Containers::new("live");
    let p = c.prefix.clone();
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let mut events = EventStream::open(&portall).await;
    let id = watched_instance(&api, &mut events, "unix:///var/run/docker.sock", "Live").await;

    let port = free_port();
    c.run_args("web", &["-p", &format!("{port}:80")], &[]);
    let seen = events
        .until(Duration::from_secs(10), |name, v| {
            name == "ports_changed"
                && v["hosts"]
                    .as_array()
                    .is_some_and(|h| h.contains(&json!("192.0.2.80")))
        })
        .await;
    assert!(
        event_scans(&seen, id) >= 1,
        "an event-triggered scan: {seen:?}"
    );
    let finished = events
        .until(Duration::from_secs(5), |name, v| {
            name == "scan_finished" && v["instance_id"] == id
        })
        .await;
    assert_eq!(finished.last().unwrap().1["ok"], true, "{finished:?}");
    // Other tests' containers on the same engine also cause scans: wait for this one's entry.
    wait_for(
        Duration::from_secs(10),
        async || entries(&api, &p).await,
        |e| e.iter().any(|e| e.1 == port as i64 && !e.5),
    )
    .await;
    let first_id = crate::scan_docker::entry_id(&api, "192.0.2.80", port as i64)
        .await
        .unwrap();

    c.stop("web");
    wait_for(
        Duration::from_secs(10),
        async || entries(&api, &p).await,
        |e| e.iter().any(|e| e.1 == port as i64 && e.5),
    )
    .await;

    c.start("web");
    wait_for(
        Duration::from_secs(10),
        async || entries(&api, &p).await,
        |e| e.iter().any(|e| e.1 == port as i64 && !e.5),
    )
    .await;
    assert_eq!(
        crate::scan_docker::entry_id(&api, "192.0.2.80", port as i64).await,
        Some(first_id),
        "the entry came back with its id"
    );
}

#[tokio::test]
async fn a_burst_of_container_starts_is_a_few_scans_not_one_each() {
    let mut c = Containers::new("burst");
    let p = c.prefix.clone();
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let mut events = EventStream::open(&portall).await;
    let id = watched_instance(&api, &mut events, "unix:///var/run/docker.sock", "Burst").await;

    const N: usize = 20;
    let names: Vec<String> = (0..N).map(|i| format!("b{i:02}")).collect();
    for n in &names {
        c.create(n, &["-p", "80"]);
    }
    let full: Vec<String> = names.iter().map(|n| c.name(n)).collect();
    let out = tokio::process::Command::new("docker")
        .arg("start")
        .args(&full)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The host ports the engine gave them. Docker's IPv4 and IPv6 allocators can drift apart (after
    // a container published on one family only), so a container may listen on two host ports: each
    // is an entry of its own.
    let inspect = tokio::process::Command::new("docker")
        .args(["inspect", "--format"])
        .arg("{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{.HostPort}} {{end}}{{end}}")
        .args(&full)
        .output()
        .await
        .unwrap();
    let published: std::collections::BTreeSet<i64> = String::from_utf8_lossy(&inspect.stdout)
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(published.len() >= N, "{published:?}");
    wait_for(
        Duration::from_secs(15),
        async || entries(&api, &p).await,
        |e| {
            e.iter()
                .filter(|e| !e.5)
                .map(|e| e.1)
                .collect::<std::collections::BTreeSet<i64>>()
                == published
        },
    )
    .await;
    // Let the last debounced scan run, then count.
    let seen = events.collect(Duration::from_secs(3)).await;
    let scans = event_scans(&seen, id);
    // Other tests start containers on the same engine meanwhile; one scan per start would be 20+.
    assert!(
        (1..=8).contains(&scans),
        "{N} starts caused {scans} event scans"
    );
}

#[tokio::test]
async fn the_event_stream_reconnects_after_the_engine_goes_away_and_catches_up() {
    let mut c = Containers::new("reconnect");
    let p = c.prefix.clone();
    let front = SeveredFront::start().await;
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let mut events = EventStream::open(&portall).await;
    watched_instance(&api, &mut events, &front.url, "Severed").await;
    // The stream is open once the engine has sent the first events' answer; give it a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;

    front.down();
    let during = free_port();
    c.run_args("during", &["-p", &format!("{during}:80")], &[]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        entries(&api, &p).await.is_empty(),
        "nothing can be seen while the engine is away"
    );
    front.up().await;
    // The catch-up scan after reconnecting finds what was started meanwhile.
    wait_for(
        Duration::from_secs(20),
        async || entries(&api, &p).await,
        |e| e.iter().any(|e| e.1 == during as i64),
    )
    .await;
    // And the stream is live again.
    let after = free_port();
    c.run_args("after", &["-p", &format!("{after}:80")], &[]);
    wait_for(
        Duration::from_secs(10),
        async || entries(&api, &p).await,
        |e| e.iter().any(|e| e.1 == after as i64),
    )
    .await;
    assert!(
        portall.log().contains("Docker event stream lost"),
        "the drop is logged"
    );
}

#[tokio::test]
async fn the_event_stream_pushes_instance_changes_and_ends_on_shutdown() {
    let mut portall = Portall::start().await;
    let api = Api::new(&portall);
    let mut events = EventStream::open(&portall).await;
    let (_, inst) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "Quiet", "auto_detect": false, "config": {"public_host": "192.0.2.81"}}),
        )
        .await;
    let id = inst["id"].as_i64().unwrap();
    let (name, v) = events.next(Duration::from_secs(5)).await.expect("an event");
    assert_eq!(
        (name.as_str(), &v),
        (
            "instances_changed",
            &json!({"type": "instances_changed", "instance_id": id})
        )
    );

    // A manual scan is announced as such.
    api.post(&format!("/docker/instances/{id}/scan"), json!({}))
        .await;
    let seen = events
        .until(Duration::from_secs(10), |n, _| n == "scan_finished")
        .await;
    assert!(
        seen.iter()
            .any(|(n, v)| n == "scan_started" && v["trigger"] == "manual"),
        "{seen:?}"
    );

    api.delete(&format!("/docker/instances/{id}")).await;
    events
        .until(Duration::from_secs(5), |n, v| {
            n == "instances_changed" && v["instance_id"] == id
        })
        .await;

    // An open stream does not hold up a graceful shutdown.
    let (status, took) = portall.terminate(Duration::from_secs(5)).await;
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(3), "stopped in {took:?}");
    assert!(
        events.next(Duration::from_secs(2)).await.is_none(),
        "the stream ended"
    );
}
