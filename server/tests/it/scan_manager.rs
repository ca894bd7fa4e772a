//! The scan manager: isolation of a hanging instance, task lifecycle, safe mode, a kill mid-scan.

use crate::scan_docker::scan;
use crate::support::api::Api;
use crate::support::docker::Containers;
use crate::support::portall::{free_port, Portall};
use crate::support::upstream::{black_hole, docker_tcp_front, FakePortainer, Mode, PortainerEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn instance(api: &Api<'_>, id: i64) -> Value {
    api.get(&format!("/docker/instances/{id}")).await.1
}

/// Polls the instance until `check` holds (or panics after `limit`).
async fn wait_for(
    api: &Api<'_>,
    id: i64,
    limit: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let v = instance(api, id).await;
        if check(&v) {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "condition not reached within {limit:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn one_hanging_instance_does_not_hold_up_nineteen_others() {
    crate::support::docker::ensure_engine_and_image();
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let tcp = docker_tcp_front().await;
    let hole = black_hole().await;
    let mut ids = Vec::new();
    for i in 0..19 {
        let (s, v) = api
            .post("/docker/instances", json!({"type": "docker", "name": format!("engine {i}"), "auto_detect": false,
                                              "config": {"host": tcp, "public_host": format!("192.0.2.{}", 100 + i)}}))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        ids.push(v["id"].as_i64().unwrap());
    }
    let (_, hanging) = api
        .post("/docker/instances", json!({"type": "docker", "name": "hung", "auto_detect": false,
                                          "config": {"host": format!("tcp://{hole}"), "timeout": 5}}))
        .await;
    let hung = hanging["id"].as_i64().unwrap();

    let client = reqwest::Client::new();
    let all_ids: Vec<i64> = ids.iter().copied().chain([hung]).collect();
    let scans = all_ids.into_iter().map(|id| {
        let url = portall.url(&format!("/docker/instances/{id}/scan"));
        let client = client.clone();
        async move {
            let started = Instant::now();
            let body: Value = client.post(url).send().await.unwrap().json().await.unwrap();
            (body, started.elapsed())
        }
    });
    let all = tokio::spawn(futures::future::join_all(scans));
    // Pages keep being served while the scans run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let r = client.get(portall.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let results = all.await.unwrap();
    let (hung_result, hung_took) = results.last().unwrap();
    assert_eq!(hung_result["ok"], false);
    assert!(
        hung_result["error"]
            .as_str()
            .unwrap()
            .contains("no answer within 5 s"),
        "{hung_result}"
    );
    assert!(*hung_took >= Duration::from_secs(5));
    for (body, took) in &results[..19] {
        assert_eq!(body["ok"], true, "{body}");
        assert!(
            *took < *hung_took,
            "finished before the hanging one timed out"
        );
    }
    let v = instance(&api, hung).await;
    assert_eq!(v["status"]["state"], "error");
}

#[tokio::test]
async fn tasks_follow_create_update_disable_delete() {
    crate::support::docker::ensure_engine_and_image();
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let (_, v) = api
        .post("/docker/instances", json!({"type": "docker", "name": "auto", "scan_interval": 60, "config": {"public_host": "192.0.2.60"}}))
        .await;
    let id = v["id"].as_i64().unwrap();
    // The answer to a save already shows the schedule the scan manager made of it.
    assert_eq!(v["status"]["auto_scan"], true, "{v}");
    // Created enabled + auto-detect: the task scans within its first jitter (≤ 2 s).
    let v = wait_for(&api, id, Duration::from_secs(10), |v| {
        v["status"]["last_scan_at"].is_string()
    })
    .await;
    assert_eq!(v["status"]["state"], "ok");

    let put = |body: Value| {
        let api = &api;
        async move { api.put(&format!("/docker/instances/{id}"), body).await.1 }
    };
    let v = put(json!({"auto_detect": false})).await;
    assert_eq!(v["status"]["auto_scan"], false, "{v}");
    assert_eq!(instance(&api, id).await["status"]["auto_scan"], false);
    let v = put(json!({"auto_detect": true})).await;
    assert_eq!(v["status"]["auto_scan"], true, "{v}");
    let v = put(json!({"enabled": false})).await;
    assert_eq!(v["status"]["auto_scan"], false, "{v}");
    assert_eq!(v["status"]["state"], "disabled");
    let (s, body) = api
        .post(&format!("/docker/instances/{id}/scan"), json!({}))
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a disabled instance does not scan: {body}"
    );
    let v = put(json!({"enabled": true})).await;
    assert_eq!(v["status"]["auto_scan"], true, "{v}");
    let (s, _) = api.delete(&format!("/docker/instances/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(!portall.log().contains("panicked"));
}

#[tokio::test]
async fn a_manual_scan_during_a_scan_reports_already_scanning() {
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let hole = black_hole().await;
    let (_, v) = api
        .post("/docker/instances", json!({"type": "docker", "name": "slow", "auto_detect": false,
                                          "config": {"host": format!("tcp://{hole}"), "timeout": 5}}))
        .await;
    let id = v["id"].as_i64().unwrap();
    let url = portall.url(&format!("/docker/instances/{id}/scan"));
    let first = tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .send()
            .await
            .unwrap()
            .status()
    });
    wait_for(&api, id, Duration::from_secs(3), |v| {
        v["status"]["state"] == "scanning"
    })
    .await;
    let (s, body) = api
        .post(&format!("/docker/instances/{id}/scan"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(body["error"], "'slow' is already scanning");
    assert_eq!(first.await.unwrap(), StatusCode::OK);
}

#[tokio::test]
async fn safe_mode_starts_no_task_but_scans_on_demand() {
    crate::support::docker::ensure_engine_and_image();
    let dir = tempfile::tempdir().unwrap();
    let portall = Portall::start_on(&dir.path().join("p.db"), &[("PORTALL_NO_SCAN", "1")]).await;
    let api = Api::new(&portall);
    let (_, v) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "safe", "scan_interval": 60}),
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let v = instance(&api, id).await;
    assert_eq!(
        (
            v["status"]["auto_scan"].as_bool(),
            v["status"]["state"].as_str()
        ),
        (Some(false), Some("never"))
    );
    assert_eq!(scan(&api, id).await["ok"], true);
    assert!(portall.log().contains("safe mode"));
}

#[tokio::test]
async fn killed_mid_scan_the_database_stays_consistent() {
    let mut c = Containers::new("kill");
    let p = c.prefix.clone();
    let port = free_port();
    c.run_args("web", &["-p", &format!("{port}:80")], &[]);
    let env = PortainerEnv::new(1, "env", &format!("{p}web"));
    let portainer = FakePortainer::start("key", vec![env]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let mut portall = Portall::start_on(&db, &[]).await;
    let api = Api::new(&portall);
    let (_, v) = api
        .post("/docker/instances", json!({"type": "portainer", "name": "P", "auto_detect": false,
                                          "config": {"url": portainer.url, "api_key": "key", "timeout": 30}}))
        .await;
    let id = v["id"].as_i64().unwrap();
    assert_eq!(scan(&api, id).await["ok"], true);
    let (_, before) = api.get("/api/ports").await;

    portainer.set_mode(1, Mode::Slow(Duration::from_secs(3)));
    let url = portall.url(&format!("/docker/instances/{id}/scan"));
    tokio::spawn(async move { reqwest::Client::new().post(url).send().await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    portall.kill();

    let portall = Portall::start_on(&db, &[]).await;
    let api = Api::new(&portall);
    let (_, after) = api.get("/api/ports").await;
    assert_eq!(after, before, "nothing lost or half-written");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let fk: Vec<sqlx::sqlite::SqliteRow> = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(fk.is_empty());
    portainer.set_mode(1, Mode::Normal);
    assert_eq!(scan(&api, id).await["ok"], true);
}

#[tokio::test]
async fn a_manual_scan_outlives_its_browser_and_deleting_mid_scan_works() {
    let mut c = Containers::new("midscan");
    let p = c.prefix.clone();
    let port = free_port();
    c.run_args("web", &["-p", &format!("{port}:80")], &[]);
    let mut fast = PortainerEnv::new(1, "fast", &format!("{p}web"));
    fast.public_url = "192.0.2.31".into();
    let mut slow = PortainerEnv::new(2, "slow", &format!("{p}none"));
    slow.mode = Mode::Slow(Duration::from_secs(2));
    let portainer = FakePortainer::start("ptr_mid", vec![fast, slow]).await;
    let portall = Portall::start().await;
    let api = Api::new(&portall);
    let (_, v) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "name": "mid", "auto_detect": false,
                                          "config": {"url": portainer.url, "api_key": "ptr_mid"}}),
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    let scan_url = portall.url(&format!("/docker/instances/{id}/scan"));

    // The browser asks for a scan and goes away mid-scan: the scan still finishes and is recorded.
    let url = scan_url.clone();
    let browser = tokio::spawn(async move { reqwest::Client::new().post(url).send().await });
    wait_for(&api, id, Duration::from_secs(5), |v| {
        v["status"]["state"] == "scanning"
    })
    .await;
    browser.abort();
    let v = wait_for(&api, id, Duration::from_secs(10), |v| {
        v["status"]["last_scan_at"].is_string()
    })
    .await;
    assert_eq!(v["status"]["state"], "ok", "{v}");
    let (_, list) = api.get("/api/ports").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["port_number"] == port as i64));

    // Deleting while a scan runs: answered at once, and the scan's writes do not bring it back.
    let url = scan_url.clone();
    let scanning = tokio::spawn(async move { reqwest::Client::new().post(url).send().await });
    wait_for(&api, id, Duration::from_secs(5), |v| {
        v["status"]["state"] == "scanning"
    })
    .await;
    let started = Instant::now();
    let (s, _) = api.delete(&format!("/docker/instances/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let answer = scanning.await.unwrap().unwrap();
    assert_ne!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (s, _) = api.get(&format!("/docker/instances/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = api.get("/api/ports").await;
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["port_number"] == port as i64),
        "{list}"
    );
    assert!(!portall.log().contains("panicked"));
}

#[tokio::test]
async fn a_scan_waiting_for_a_slot_shows_queued_not_scanning() {
    let portall = Portall::start_with(&[("PORTALL_SCAN_CONCURRENCY", "1")]).await;
    let api = Api::new(&portall);
    let mut ids = Vec::new();
    for name in ["first", "second"] {
        let hole = black_hole().await;
        let (_, v) = api
            .post("/docker/instances", json!({"type": "docker", "name": name, "auto_detect": false,
                                              "config": {"host": format!("tcp://{hole}"), "timeout": 5}}))
            .await;
        ids.push(v["id"].as_i64().unwrap());
    }
    let mut scans = Vec::new();
    for id in &ids {
        let url = portall.url(&format!("/docker/instances/{id}/scan"));
        scans.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .send()
                .await
                .unwrap()
                .status()
        }));
        wait_for(&api, *id, Duration::from_secs(3), |v| {
            v["status"]["state"] == "scanning" || v["status"]["state"] == "queued"
        })
        .await;
    }
    let states: Vec<String> = {
        let mut s = Vec::new();
        for id in &ids {
            s.push(
                instance(&api, *id).await["status"]["state"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        s
    };
    assert_eq!(states, vec!["scanning", "queued"]);
    for s in scans {
        assert_eq!(s.await.unwrap(), StatusCode::OK);
    }
}
