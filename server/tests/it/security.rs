//! Attacks on Portall's handling of stored secrets and hostile upstreams, all on loopback: a listener
//! that records headers proves a stored key never reaches a changed address or a redirect target, and
//! upstreams that answer 50 MB errors or never stop are contained.

use crate::support::api::{error_fields, Api};
use crate::support::attack::{Answer, Recorder};
use crate::support::portall::Portall;
use crate::support::upstream::FakePortainer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const KEY: &str = "ptr_BoundKey7f3aZ";
const SECRET: &str = "komodo-Secret-91c2";

#[tokio::test]
async fn a_stored_key_never_leaves_for_a_changed_address() {
    let portainer = FakePortainer::start(KEY, vec![]).await;
    let thief = Recorder::start(Answer::Json(json!({"Version": "2.23.0"}))).await;
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, created) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "name": "Default Portainer", "enabled": false,
                   "config": {"url": portainer.url, "api_key": KEY}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/docker/instances/{id}");

    // Pointing the stored key elsewhere: the update, an unsaved test and the legacy form all refuse,
    // naming the secret field.
    let (s, resp) = api.put(&path, json!({"config": {"url": thief.url}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(error_fields(&resp), vec!["config.api_key"]);
    assert!(resp["errors"]["config.api_key"][0]
        .as_str()
        .unwrap()
        .contains("enter it again for the new address"));
    let (s, resp) = api
        .post(
            "/docker/instances/test",
            json!({"id": id, "type": "portainer", "config": {"url": thief.url}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(error_fields(&resp), vec!["config.api_key"]);
    let r = api
        .raw(Method::POST, "/docker/settings")
        .form(&[
            ("portainer_enabled", "false"),
            ("portainer_url", thief.url.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp: Value = r.json().await.unwrap();
    assert_eq!(error_fields(&resp), vec!["portainer_api_key"], "{resp}");
    assert_eq!(thief.requests(), 0, "nothing was sent to the new address");

    // Nothing stored changed: the saved test still reaches the real Portainer with the stored key.
    let (_, view) = api.get(&path).await;
    assert_eq!(view["config"]["url"], portainer.url.as_str());
    let (_, t) = api.post(&format!("{path}/test"), json!({})).await;
    assert_eq!(t["ok"], true, "{t}");
    // The same address, written differently, keeps the stored key.
    let (s, resp) = api
        .put(
            &path,
            json!({"config": {"url": format!("{}/", portainer.url)}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{resp}");
    // A new address with the key entered again is fine.
    let (s, resp) = api
        .put(
            &path,
            json!({"config": {"url": thief.url, "api_key": "ptr_other"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{resp}");
    assert_eq!(view["config"].get("api_key"), None, "never returned");

    let (_, t) = api.post(&format!("{path}/test"), json!({})).await;
    assert!(
        thief.saw("ptr_other"),
        "the re-entered key goes to its address: {t}"
    );
    assert!(
        !thief.saw(KEY),
        "the first key never reached the new address"
    );
    assert!(!p.log().contains(KEY), "no key in the log");
}

#[tokio::test]
async fn redirects_are_not_followed_with_the_key() {
    let target = Recorder::start(Answer::Json(json!([]))).await;
    let redirector = Recorder::start(Answer::Redirect(format!("{}/read", target.url))).await;
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "komodo", "config": {"url": redirector.url, "api_key": KEY, "api_secret": SECRET}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["ok"], false);
    let message = t["message"].as_str().unwrap();
    assert!(message.contains("302"), "{message}");
    assert!(
        message.contains("127.0.0.1"),
        "names the target's host: {message}"
    );
    assert!(!message.contains(KEY) && !message.contains(SECRET));
    assert!(
        redirector.saw(SECRET),
        "the configured address got the request"
    );
    assert_eq!(target.requests(), 0, "the redirect was not followed");
    assert!(!p.log().contains(SECRET));
}

#[tokio::test]
async fn huge_and_endless_answers_are_contained() {
    let huge = Recorder::start(Answer::HugeError(50 * 1024 * 1024)).await;
    let endless = Recorder::start(Answer::Endless).await;
    let p = Portall::start().await;
    let api = Api::new(&p);
    let test = |url: String| {
        let api = &api;
        async move {
            let started = Instant::now();
            let (s, t) = api
                .post(
                    "/docker/instances/test",
                    json!({"type": "komodo", "config": {"url": url, "api_key": KEY, "api_secret": SECRET, "timeout": 5}}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{t}");
            (t, started.elapsed())
        }
    };
    let (t, _) = test(huge.url.clone()).await;
    assert_eq!(t["ok"], false);
    let message = t["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 500"),
        "{}",
        &message[..80.min(message.len())]
    );
    assert!(
        message.chars().count() < 450,
        "cut: {} characters",
        message.len()
    );

    let (t, took) = test(endless.url.clone()).await;
    assert_eq!(t["ok"], false);
    assert!(took < Duration::from_secs(12), "{took:?}");
    let message = t["message"].as_str().unwrap();
    assert!(
        message.contains("larger than 32 MiB") || message.contains("no answer within"),
        "{message}"
    );
    let (_, health) = api.get("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
}

#[tokio::test]
async fn a_pasted_key_with_a_line_break_is_refused() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, resp) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "config": {"url": "http://127.0.0.1:9", "api_key": "ptr_abc\nX-Evil: 1"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(error_fields(&resp), vec!["config.api_key"]);
    let (_, list) = api.get("/docker/instances").await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing stored: {list}"
    );
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_place() {
    let p = Portall::start_with(&[("PORTALL_MAX_CONNECTIONS", "8")]).await;
    let addr = p.base_url.trim_start_matches("http://").to_string();
    // Eight idle connections (a slow or hostile client) take every place.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let client = reqwest::Client::new();
    let waiting = tokio::spawn({
        let url = p.url("/healthz");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!waiting.is_finished(), "a ninth connection was served");
    held.clear();
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once places are free")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_frees_its_place() {
    use tokio::io::AsyncReadExt;
    let p = Portall::start_with(&[
        ("PORTALL_MAX_CONNECTIONS", "8"),
        ("PORTALL_IDLE_TIMEOUT", "20"),
    ])
    .await;
    let addr = p.base_url.trim_start_matches("http://").to_string();
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 16];
    let started = Instant::now();
    // An event stream open as long sends keep-alives (every 15 s): it is not silent.
    let mut events = crate::support::events::EventStream::open(&p).await;
    let read = tokio::time::timeout(Duration::from_secs(40), silent.read(&mut buf))
        .await
        .expect("closed by the server");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(19),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        events.is_open().await,
        "the event stream was closed as idle"
    );
}
