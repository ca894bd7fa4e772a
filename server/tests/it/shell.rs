//! The served shell: health, server-rendered pages, 404, start-up errors, graceful shutdown.

use crate::support::portall::{run_expecting_exit, Portall};
use std::time::Duration;

#[tokio::test]
async fn healthz_reports_ok() {
    let p = Portall::start().await;
    let r = reqwest::get(p.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok", "database": "ok"}));
}

#[tokio::test]
async fn first_load_is_server_rendered_with_hydration_scripts() {
    let p = Portall::start().await;
    for (path, heading) in [
        ("/", "Ports"),
        ("/settings", "Settings"),
        ("/tags", "Tags and rules"),
        ("/import", "Import"),
        ("/settings?tab=data", "Settings"),
    ] {
        let r = reqwest::get(p.url(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"<nav aria-label="Main""#),
            "{path}: navigation missing"
        );
        assert!(html.contains(r#"href="/settings""#) && html.contains(">Ports</a>"));
        assert!(
            html.contains(&format!("<h1>{heading}</h1>")),
            "{path}: heading missing"
        );
        assert!(html.contains(r#"<link rel="modulepreload" href="/pkg/portall.js""#));
        assert!(html.contains(r#"href="/pkg/portall.wasm""#));
        assert!(
            html.contains("mod.hydrate()"),
            "{path}: hydration script missing"
        );
    }
    // Settings → About renders the System card's data on the server, before any WASM runs.
    let html = reqwest::get(p.url("/settings?tab=about"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<span id="db-status">ok</span>"#), "{html}");
}

#[tokio::test]
async fn unknown_path_is_a_404_page() {
    let p = Portall::start().await;
    let r = reqwest::get(p.url("/definitely/not/here")).await.unwrap();
    assert_eq!(r.status(), 404);
    let html = r.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains(r#"<nav aria-label="Main""#));
}

#[tokio::test]
async fn sigterm_exits_cleanly_and_quickly() {
    let mut p = Portall::start().await;
    // An open keep-alive connection must not hold the shutdown up.
    let client = reqwest::Client::new();
    assert!(client
        .get(p.url("/"))
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let (status, took) = p.terminate(Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status}; log:\n{}", p.log());
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(p.log().contains("stopped"));
}

#[test]
fn bad_configuration_exits_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/p.db", dir.path().display());
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("PORT", "0")],
            "invalid PORT (--port): 0 is outside 1–65535",
        ),
        (
            &[("DATABASE_URL", "postgres://db/x")],
            "invalid DATABASE_URL (--database-url)",
        ),
        (
            &[("PORTALL_BIND", "everywhere")],
            "invalid PORTALL_BIND (--bind)",
        ),
        (
            &[("DOCKER_HOST", "ftp://x")],
            "invalid DOCKER_HOST (--docker-host)",
        ),
    ];
    for (env, expected) in cases {
        let mut all = vec![("DATABASE_URL", url.as_str())];
        all.extend_from_slice(env);
        let (code, stderr) = run_expecting_exit(&[], &all);
        assert_eq!(code, Some(2), "{env:?}: {stderr}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}
