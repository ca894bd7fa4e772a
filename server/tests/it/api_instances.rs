//! `/docker/instances`: every route, validation rule and error status; secrets never leave.

use crate::support::api::{error_fields, Api};
use crate::support::portall::Portall;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const P_KEY: &str = "ptr_TOPSECRET_9f8e7d";
const K_KEY: &str = "komodo-key-5a5a";
const K_SECRET: &str = "komodo-secret-6b6b";

#[tokio::test]
async fn create_read_update_delete() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, list) = api.get("/docker/instances").await;
    assert_eq!((s, list), (StatusCode::OK, json!([])));

    let (s, d) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "auto_detect": false, "config": {"host": "tcp://nas.lan:2375"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["name"], "Docker @ nas.lan", "generated from the address");
    assert_eq!(d["scan_interval"], 300);
    assert_eq!(d["config"]["timeout"], 30);
    assert_eq!(d["status"]["state"], "never");
    let id = d["id"].as_i64().unwrap();

    let (s, again) = api.get(&format!("/docker/instances/{id}")).await;
    assert_eq!((s, &again), (StatusCode::OK, &d));

    // Partial update: only the interval changes.
    let (s, u) = api
        .put(
            &format!("/docker/instances/{id}"),
            json!({"scan_interval": 900}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["scan_interval"], 900);
    assert_eq!(u["config"]["host"], "tcp://nas.lan:2375");
    let (_, u) = api
        .put(
            &format!("/docker/instances/{id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(u["status"]["state"], "disabled");

    // Fallback names stay unique.
    for expected in ["Docker", "Docker 2"] {
        let (_, d) = api
            .post("/docker/instances", json!({"type": "docker"}))
            .await;
        assert_eq!(d["name"], expected);
    }
    let (_, list) = api.get("/docker/instances").await;
    assert_eq!(list.as_array().unwrap().len(), 3);

    let (s, body) = api.delete(&format!("/docker/instances/{id}")).await;
    assert_eq!((s, body), (StatusCode::NO_CONTENT, Value::Null));
    let (s, _) = api.get(&format!("/docker/instances/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.delete(&format!("/docker/instances/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api
        .put(&format!("/docker/instances/{id}"), json!({"name": "x"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.get("/docker/instances/not-a-number").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn validation_errors_are_422_and_store_nothing() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (_, first) = api
        .post(
            "/docker/instances",
            json!({"type": "docker", "name": "Home NAS", "auto_detect": false}),
        )
        .await;
    let id = first["id"].as_i64().unwrap();
    let cases = [
        (json!({"type": "docker", "name": "home nas"}), "name"),
        (json!({"type": "docker", "name": "x".repeat(101)}), "name"),
        (
            json!({"type": "docker", "scan_interval": 10}),
            "scan_interval",
        ),
        (
            json!({"type": "docker", "scan_interval": 86401}),
            "scan_interval",
        ),
        (
            json!({"type": "docker", "config": {"host": "ftp://x"}}),
            "config.host",
        ),
        (
            json!({"type": "docker", "config": {"timeout": 4}}),
            "config.timeout",
        ),
        (
            json!({"type": "docker", "config": {"timeout": 121}}),
            "config.timeout",
        ),
        (
            json!({"type": "docker", "config": {"host": "https://h:2376"}}),
            "config.tls_ca",
        ),
        (
            json!({"type": "portainer", "config": {"url": "ftp://p", "api_key": "k"}}),
            "config.url",
        ),
        (
            json!({"type": "portainer", "config": {"url": "https://p"}}),
            "config.api_key",
        ),
        (
            json!({"type": "komodo", "config": {"url": "https://k", "api_key": "k"}}),
            "config.api_secret",
        ),
        (
            json!({"type": "komodo", "config": {"url": "https://k", "api_key": "k", "api_secret": "s", "public_host": "bad host"}}),
            "config.public_host",
        ),
        (json!({"type": "nomad"}), "type"),
        (json!({}), "type"),
        (json!([1]), "_body"),
    ];
    for (body, field) in cases {
        let (s, resp) = api.post("/docker/instances", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {resp}");
        assert!(
            error_fields(&resp).contains(&field.to_string()),
            "{body}: {resp}"
        );
    }
    let (s, resp) = api
        .put(
            &format!("/docker/instances/{id}"),
            json!({"type": "komodo"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp["errors"]["type"][0],
        "cannot be changed after creation"
    );
    let (_, list) = api.get("/docker/instances").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing stored");
    assert_eq!(list[0], first, "nothing changed");

    // Malformed JSON and a missing content type are client errors too.
    let r = api
        .raw(Method::POST, "/docker/instances")
        .header("content-type", "application/json")
        .body("{\"type\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("malformed JSON"));
    let r = api
        .raw(Method::POST, "/docker/instances")
        .body("type=docker")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn types_describe_every_field() {
    let p = Portall::start().await;
    let (s, types) = Api::new(&p).get("/docker/instances/types").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["docker", "portainer", "komodo", "hostscan"]);
    let komodo = &types[2]["fields"];
    let secret: Vec<&str> = komodo
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["secret"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(secret, vec!["api_key", "api_secret"]);
    let timeout = &types[0]["fields"][1];
    assert_eq!(
        (
            timeout["name"].as_str(),
            timeout["min"].as_i64(),
            timeout["max"].as_i64()
        ),
        (Some("timeout"), Some(5), Some(120))
    );
    assert_eq!(
        types[0]["fields"][0]["default"],
        "unix:///var/run/docker.sock"
    );
}

#[tokio::test]
async fn secrets_are_write_only() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, pt) = api
        .post(
            "/docker/instances",
            json!({"type": "portainer", "name": "P", "config": {"url": "http://127.0.0.1:9", "api_key": P_KEY}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(pt["config"]["api_key_set"], true);
    assert!(pt["config"].get("api_key").is_none());
    let (_, km) = api
        .post(
            "/docker/instances",
            json!({"type": "komodo", "name": "K", "config": {"url": "http://127.0.0.1:9", "api_key": K_KEY, "api_secret": K_SECRET}}),
        )
        .await;
    let (pid, kid) = (pt["id"].as_i64().unwrap(), km["id"].as_i64().unwrap());
    // An update without the secret keeps it; an empty one too.
    let (_, u) = api
        .put(
            &format!("/docker/instances/{kid}"),
            json!({"config": {"api_secret": ""}}),
        )
        .await;
    assert_eq!(u["config"]["api_secret_set"], true);
    // Failed connection tests don't echo secrets either.
    let (s, t) = api
        .post(&format!("/docker/instances/{pid}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["ok"], false);
    api.post(&format!("/docker/instances/{kid}/test"), json!({}))
        .await;
    api.post(
        "/docker/instances/test",
        json!({"type": "komodo", "id": kid, "config": {"url": "http://127.0.0.1:9"}}),
    )
    .await;

    let mut bodies = String::new();
    for path in [
        "/docker/instances",
        &format!("/docker/instances/{pid}"),
        &format!("/docker/instances/{kid}"),
        "/docker/settings",
        "/",
        "/settings",
    ] {
        bodies.push_str(
            &reqwest::get(p.url(path))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    for secret in [P_KEY, K_KEY, K_SECRET] {
        assert!(
            !bodies.contains(secret),
            "{secret} returned by the API or a page"
        );
        assert!(!p.log().contains(secret), "{secret} in the log");
    }
}

#[tokio::test]
async fn connection_tests_saved_and_unsaved() {
    crate::support::docker::ensure_engine_and_image();
    let p = Portall::start().await;
    let api = Api::new(&p);
    let (s, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "docker", "config": {"host": "unix:///var/run/docker.sock"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["ok"], true, "{t}");
    assert!(t["message"].as_str().unwrap().starts_with("Docker "), "{t}");
    assert!(t["details"]["api_version"].is_string());

    let (_, d) = api
        .post("/docker/instances", json!({"type": "docker", "name": "gone", "config": {"host": "unix:///nonexistent.sock"}}))
        .await;
    let (s, t) = api
        .post(&format!("/docker/instances/{}/test", d["id"]), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["ok"], false);
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("unix:///nonexistent.sock"),
        "{t}"
    );

    // A closed port: refused quickly, with the address in the message.
    let port = crate::support::portall::free_port();
    let (_, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "docker", "config": {"host": format!("tcp://127.0.0.1:{port}")}}),
        )
        .await;
    assert_eq!(t["ok"], false);
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{port}")),
        "{t}"
    );

    // Only connection fields are validated for a test.
    let (s, t) = api
        .post(
            "/docker/instances/test",
            json!({"type": "docker", "config": {"host": "ftp://x"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&t), vec!["config.host"]);
    let (s, _) = api.post("/docker/instances/999/test", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let p = Portall::start().await;
    let api = Api::new(&p);
    let r = api
        .raw(Method::POST, "/docker/instances")
        .header("Origin", "http://evil.example")
        .json(&json!({"type": "docker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = api
        .raw(Method::POST, "/docker/instances")
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"type": "docker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, list) = api.get("/docker/instances").await;
    assert_eq!(list, json!([]));
    let r = api
        .raw(Method::POST, "/docker/instances")
        .header("Sec-Fetch-Site", "same-origin")
        .json(&json!({"type": "docker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}
